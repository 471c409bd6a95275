"""Logging in, with failed logins counted in the grid's database per client address
and per phone number: an address is refused (429) for a while after too many, and a
phone's failures slow strangers down without ever locking its owner out.

Per address: `per_address` failures within `window` and that address is refused
until the oldest of them leaves the window, whatever phone it tries.

Per phone: after `per_phone` failures within `phone_window`, a client that is not
known for the person behind the phone waits before each further attempt: `delay`
after the newest failure, doubling with every further failure, at most `max_delay`
(429 with Retry-After). A known client goes straight on to the password check. It is
known if it has logged in successfully as this person within `known_for`: either a
device holding the token such a login gave it (sent back as X-Device), or the same
client address. So an attacker failing again and again from elsewhere slows himself,
and the owner, on their own device or at their usual address, still gets in.

An unknown phone is never known to any client, so it is counted, delayed and answered
exactly like a known phone tried from a stranger's client: the answers say nothing
about who has an account.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from nameko.exceptions import ConfigurationError
from nameko.extensions import DependencyProvider
from sqlalchemy import and_, delete, func, or_, select, text, update

from yzw_kernel.contracts import grid as contract
from yzw_kernel.db import get_one
from yzw_kernel.errors import TooManyRequests, Unauthenticated
from yzw_kernel.types import utcnow
from yzw_kernel.validation import load

from . import domain
from .app import _person_view
from .models import KnownClient, LoginFailure, Person
from .passwords import hash_password, verify_password

PHONE, ADDRESS, DEVICE = "phone", "address", "device"
UNKNOWN_ADDRESS = "unknown"
# the most devices and the most addresses remembered per person, newest kept: a
# script logging in without X-Device makes a new device each time
MAX_KNOWN_CLIENTS = 20


@dataclass(frozen=True)
class LoginLimits:
    """See the module's docstring for what each limit does."""

    per_phone: int = 5
    per_address: int = 20
    window_seconds: float = 900
    delay_seconds: float = 30
    max_delay_seconds: float = 900
    phone_window_seconds: float = 86400
    known_days: float = 30

    @property
    def window(self):
        return timedelta(seconds=self.window_seconds)

    @property
    def phone_window(self):
        return timedelta(seconds=self.phone_window_seconds)

    @property
    def known_for(self):
        return timedelta(days=self.known_days)

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
            if not number > 0:  # NaN too
                raise ConfigurationError(f"{name} must be a positive number, not {value!r}")
            return number

        limits = cls(
            per_phone=setting("LOGIN_MAX_FAILURES", cls.per_phone, int),
            per_address=setting("LOGIN_MAX_FAILURES_PER_ADDRESS", cls.per_address, int),
            window_seconds=setting("LOGIN_WINDOW_SECONDS", cls.window_seconds, float),
            delay_seconds=setting("LOGIN_DELAY_SECONDS", cls.delay_seconds, float),
            max_delay_seconds=setting("LOGIN_DELAY_MAX_SECONDS", cls.max_delay_seconds, float),
            phone_window_seconds=setting(
                "LOGIN_PHONE_WINDOW_SECONDS", cls.phone_window_seconds, float
            ),
            known_days=setting("LOGIN_KNOWN_DAYS", cls.known_days, float),
        )
        if not limits.delay_seconds <= limits.max_delay_seconds <= limits.phone_window_seconds:
            # a longer delay would outlast the failures it is counted from
            raise ConfigurationError(
                "need LOGIN_DELAY_SECONDS <= LOGIN_DELAY_MAX_SECONDS <= "
                f"LOGIN_PHONE_WINDOW_SECONDS, not {limits.delay_seconds}, "
                f"{limits.max_delay_seconds}, {limits.phone_window_seconds}"
            )
        return limits


class LoginSettings(DependencyProvider):
    """Gives a worker the service's LoginLimits, read once when it starts:
    a bad setting stops the start instead of failing every login."""

    def setup(self):
        self.limits = LoginLimits.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.limits


@dataclass(frozen=True)
class Client:
    """Where a login comes from: its address as the gateway saw it, and the device
    token it sent back, if any."""

    address: str
    device: str | None

    def keys(self):
        """What this client is remembered by, hashed: (kind, key_hash)."""
        keys = [(DEVICE, _digest(self.device))] if self.device else []
        if self.address != UNKNOWN_ADDRESS:  # not an address anybody could share
            keys.append((ADDRESS, _digest(self.address)))
        return keys


def _digest(value):
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


_dummy_hash = []


def _a_hash_to_check_against():
    """A real argon2 hash: an unknown phone costs the same time as a wrong password."""
    if not _dummy_hash:
        _dummy_hash.append(hash_password("not anybody's password"))
    return _dummy_hash[0]


def authenticate(store, phone, password, address, limits, device=None):
    """{"person", "device"}: the person with this phone and password, and the device
    token to send back as X-Device next time. Unauthenticated if there is none,
    TooManyRequests while the address is refused or the phone's delay runs.

    Three steps. Unless refused, the attempt is first counted as a failure and
    committed, so that guesses made at the same moment see each other. The password
    is checked outside any transaction: argon2 is slow on purpose, and SQLite would
    hold its write lock meanwhile. A right password then takes the attempt back and
    remembers the client. The phone's other failures stay: the owner logging in must
    not hand whoever is guessing a fresh round of free attempts. The address keeps
    its count too, so one address cannot go on guessing other people's passwords by
    logging into its own account now and then.
    """
    data = load(contract.LoginIn, {"phone": phone, "password": password})
    device = load(contract.LoginDeviceIn, {"X-Device": device})["device"] or None
    client = Client(str(address or UNKNOWN_ADDRESS)[:64], device)
    with store.transaction() as tx:
        attempt = _count_attempt(tx, data["phone"], client, limits)
    password_hash = attempt.pop("password_hash") or _a_hash_to_check_against()
    if not verify_password(password_hash, data["password"]) or attempt["person_id"] is None:
        raise Unauthenticated("wrong phone number or password")
    with store.transaction() as tx:
        return _succeed(tx, attempt, client, limits)


def _take_turns(tx, phone, address):
    """On PostgreSQL, attempts on one phone or from one address take turns, so that
    guesses sent at the same moment each see the others' failures (on SQLite,
    BEGIN IMMEDIATE already makes every writer wait for the one before)."""
    if tx.session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted((f"login {ADDRESS} {address}", f"login {PHONE} {phone}")):
        tx.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def _is_known(session, person_id, client, since):
    keys = client.keys()
    if not keys:
        return False
    return (
        session.scalar(
            select(KnownClient.id)
            .where(
                KnownClient.person_id == person_id,
                KnownClient.last_login_at > since,
                or_(*(and_(KnownClient.kind == k, KnownClient.key_hash == h) for k, h in keys)),
            )
            .limit(1)
        )
        is not None
    )


def _address_wait(session, address, limits, now):
    failed = session.scalars(
        select(LoginFailure.failed_at)
        .where(
            LoginFailure.kind == ADDRESS,
            LoginFailure.key == address,
            LoginFailure.failed_at > now - limits.window,
        )
        .order_by(LoginFailure.failed_at.desc())
        .limit(limits.per_address)
    ).all()
    return domain.login_retry_after(failed, limits.per_address, limits.window, now)


def _phone_wait(session, phone, limits, now):
    failures, newest = session.execute(
        select(func.count(), func.max(LoginFailure.failed_at)).where(
            LoginFailure.kind == PHONE,
            LoginFailure.key == phone,
            LoginFailure.failed_at > now - limits.phone_window,
        )
    ).one()
    return domain.login_delay(
        failures, newest, limits.per_phone, limits.delay_seconds, limits.max_delay_seconds, now
    )


def _count_attempt(tx, phone, client, limits):
    _take_turns(tx, phone, client.address)
    now = utcnow()
    person = tx.session.scalar(select(Person).where(Person.phone == phone))
    # "" for an unknown phone: the same query, known to nobody
    known = _is_known(tx.session, person.id if person else "", client, now - limits.known_for)
    wait = _address_wait(tx.session, client.address, limits, now)
    if not known:
        wait = max(wait, _phone_wait(tx.session, phone, limits, now))
    if wait:
        # the same answer whether or not the phone is anybody's
        raise TooManyRequests(
            f"too many failed logins; try again in {wait} seconds", retry_after=wait
        )
    failures = [
        LoginFailure(kind=PHONE, key=phone, failed_at=now),
        LoginFailure(kind=ADDRESS, key=client.address, failed_at=now),
    ]
    tx.session.add_all(failures)
    tx.flush()
    return {
        "failure_ids": [f.id for f in failures],
        "person_id": person.id if person else None,
        "password_hash": person.password_hash if person else None,
    }


def _succeed(tx, attempt, client, limits):
    tx.session.execute(delete(LoginFailure).where(LoginFailure.id.in_(attempt["failure_ids"])))
    person = get_one(tx.session, Person, attempt["person_id"], "person")
    device = _remember(tx.session, person.id, client, limits)
    return {"person": _person_view(person, True), "device": device}


def _remember(session, person_id, client, limits):
    """Make the client known for this person and give the device token it is to send
    back: the one it sent, if this suite issued it (to this person or to another on
    the same device), or a new random one; never a value a client made up."""
    now = utcnow()
    device = client.device
    issued = device and session.scalar(
        select(KnownClient.id)
        .where(
            KnownClient.kind == DEVICE,
            KnownClient.key_hash == _digest(device),
            KnownClient.last_login_at > now - limits.known_for,
        )
        .limit(1)
    )
    if not issued:
        device = secrets.token_urlsafe(32)
    for kind, key_hash in Client(client.address, device).keys():
        mine = (
            KnownClient.person_id == person_id,
            KnownClient.kind == kind,
            KnownClient.key_hash == key_hash,
        )
        seen = session.execute(
            update(KnownClient)
            .where(*mine)
            .values(last_login_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not seen:
            session.add(
                KnownClient(person_id=person_id, kind=kind, key_hash=key_hash, last_login_at=now)
            )
    session.flush()
    for kind in (DEVICE, ADDRESS):
        newest = (
            select(KnownClient.id)
            .where(KnownClient.person_id == person_id, KnownClient.kind == kind)
            .order_by(KnownClient.last_login_at.desc(), KnownClient.id.desc())
            .limit(MAX_KNOWN_CLIENTS)
        )
        session.execute(
            delete(KnownClient)
            .where(
                KnownClient.person_id == person_id,
                KnownClient.kind == kind,
                KnownClient.id.not_in(newest),
            )
            .execution_options(synchronize_session=False)
        )
    return device


def forget_expired(tx, limits):
    """Failures that count for nothing any more, and clients no longer known: how many."""
    now = utcnow()
    failures = tx.session.execute(
        delete(LoginFailure).where(
            or_(
                and_(LoginFailure.kind == ADDRESS, LoginFailure.failed_at <= now - limits.window),
                LoginFailure.failed_at <= now - limits.phone_window,
            )
        )
    ).rowcount
    clients = tx.session.execute(
        delete(KnownClient).where(KnownClient.last_login_at <= now - limits.known_for)
    ).rowcount
    return failures + clients
