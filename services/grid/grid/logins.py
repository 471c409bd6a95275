"""Logging in, with failed logins counted in the grid's database per phone number
and per client address: too many within the window and logins are refused (429)
until the window has passed, whether the phone belongs to anybody or not."""

from dataclasses import dataclass
from datetime import timedelta

from nameko.exceptions import ConfigurationError
from nameko.extensions import DependencyProvider
from sqlalchemy import delete, select

from yzw_kernel.contracts import grid as contract
from yzw_kernel.db import get_one
from yzw_kernel.errors import TooManyRequests, Unauthenticated
from yzw_kernel.types import utcnow
from yzw_kernel.validation import load

from . import domain
from .app import _person_view
from .models import LoginFailure, Person
from .passwords import hash_password, verify_password

PHONE, ADDRESS = "phone", "address"
UNKNOWN_ADDRESS = "unknown"


@dataclass(frozen=True)
class LoginLimits:
    """`per_phone` failures for one phone, or `per_address` from one client
    address, within `window_seconds` refuse further logins until they age out."""

    per_phone: int = 5
    per_address: int = 20
    window_seconds: float = 900

    @property
    def window(self):
        return timedelta(seconds=self.window_seconds)

    @classmethod
    def from_config(cls, config):
        def setting(name, default, kind):
            value = config.get(name)
            if value in (None, ""):
                return default
            try:
                number = kind(value)
            except (TypeError, ValueError):
                number = 0
            if number <= 0:
                raise ConfigurationError(f"{name} must be a positive number, not {value!r}")
            return number

        return cls(
            per_phone=setting("LOGIN_MAX_FAILURES", cls.per_phone, int),
            per_address=setting("LOGIN_MAX_FAILURES_PER_ADDRESS", cls.per_address, int),
            window_seconds=setting("LOGIN_WINDOW_SECONDS", cls.window_seconds, float),
        )


class LoginSettings(DependencyProvider):
    """Gives a worker the service's LoginLimits, read once when it starts:
    a bad setting stops the start instead of failing every login."""

    def setup(self):
        self.limits = LoginLimits.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.limits


_dummy_hash = []


def _a_hash_to_check_against():
    """A real argon2 hash: an unknown phone costs the same time as a wrong password."""
    if not _dummy_hash:
        _dummy_hash.append(hash_password("not anybody's password"))
    return _dummy_hash[0]


def authenticate(store, phone, password, address, limits):
    """The person with this phone and password; Unauthenticated if there is none,
    TooManyRequests while the phone or the address is locked out.

    Three steps. Unless locked out, the attempt is first counted as a failure
    and committed, so that guesses made at the same moment see each other. The
    password is checked outside any transaction: argon2 is slow on purpose, and
    SQLite would hold its write lock meanwhile. A right password then takes the
    attempt back and clears the phone's failures; the address keeps its count,
    so one address cannot go on guessing other people's passwords by logging
    into its own account now and then.
    """
    data = load(contract.LoginIn, {"phone": phone, "password": password})
    address = str(address or UNKNOWN_ADDRESS)[:64]
    with store.transaction() as tx:
        attempt = _count_attempt(tx, data["phone"], address, limits)
    password_hash = attempt.pop("password_hash") or _a_hash_to_check_against()
    if not verify_password(password_hash, data["password"]) or attempt["person_id"] is None:
        raise Unauthenticated("wrong phone number or password")
    with store.transaction() as tx:
        return _take_back(tx, attempt)


def _recent_failures(session, kind, key, limit, since):
    return session.scalars(
        select(LoginFailure.failed_at)
        .where(LoginFailure.kind == kind, LoginFailure.key == key, LoginFailure.failed_at > since)
        .order_by(LoginFailure.failed_at.desc())
        .limit(limit)
    ).all()


def _count_attempt(tx, phone, address, limits):
    now = utcnow()
    since = now - limits.window
    wait = max(
        domain.login_retry_after(
            _recent_failures(tx.session, kind, key, limit, since), limit, limits.window, now
        )
        for kind, key, limit in (
            (PHONE, phone, limits.per_phone),
            (ADDRESS, address, limits.per_address),
        )
    )
    if wait:
        # the same answer whether or not the phone is anybody's
        raise TooManyRequests(
            f"too many failed logins; try again in {wait} seconds", retry_after=wait
        )
    by_address = LoginFailure(kind=ADDRESS, key=address, failed_at=now)
    tx.session.add_all([LoginFailure(kind=PHONE, key=phone, failed_at=now), by_address])
    tx.flush()
    person = tx.session.scalar(select(Person).where(Person.phone == phone))
    return {
        "phone": phone,
        "address_failure_id": by_address.id,
        "person_id": person.id if person else None,
        "password_hash": person.password_hash if person else None,
    }


def _take_back(tx, attempt):
    tx.session.execute(
        delete(LoginFailure).where(LoginFailure.kind == PHONE, LoginFailure.key == attempt["phone"])
    )
    tx.session.execute(delete(LoginFailure).where(LoginFailure.id == attempt["address_failure_id"]))
    return _person_view(get_one(tx.session, Person, attempt["person_id"], "person"), True)


def forget_expired(tx, limits):
    """Failures older than the window count for nothing any more."""
    cutoff = utcnow() - limits.window
    return tx.session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= cutoff)).rowcount
