"""Failed logins counted in grid's database, per client address and per phone, on
SQLite and on PostgreSQL: the address's limit, the phone's growing delays for
strangers, the known device or address that still gets in, and what ages out."""

import hashlib
from datetime import timedelta

import eventlet
import pytest
from conftest import DEMO_PASSWORD, grid_store
from sqlalchemy import func, select
from usecases import run

from grid import logins
from grid.admin import create_street_admin
from grid.models import KnownClient, LoginFailure
from yzw_kernel.errors import InvalidInput, TooManyRequests, Unauthenticated

# 3 free failures per phone, then 60 s, 120 s, 240 s (the most) between tries
LIMITS = logins.LoginLimits(
    per_phone=3,
    per_address=5,
    window_seconds=600,
    delay_seconds=60,
    max_delay_seconds=240,
    phone_window_seconds=3600,
    known_days=30,
)
PHONE, NOBODY = "13800000001", "13999999999"
HOME, CAFE = "10.0.0.1", "10.0.0.9"  # where the owner logs in
ATTACKERS = [f"10.6.6.{n}" for n in range(1, 20)]


@pytest.fixture
def store(database_url):
    store = grid_store(database_url)
    create_street_admin(store, "昆都仑区", "街道管理员", PHONE, DEMO_PASSWORD)
    try:
        yield store
    finally:
        store.dispose()


def login(store, phone, password=DEMO_PASSWORD, address=HOME, device=None):
    return logins.authenticate(store, phone, password, address, LIMITS, device)


def refused(store, error, phone, password=DEMO_PASSWORD, address=HOME, device=None):
    with pytest.raises(error) as raised:
        login(store, phone, password, address, device)
    return raised.value


def failures(store, kind, key):
    with store.reading() as session:
        return session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.kind == kind, LoginFailure.key == key)
        )


def age(store, seconds):
    """Everything so far happened `seconds` earlier than it did."""
    with store.transaction() as tx:
        for failure in tx.session.scalars(select(LoginFailure)):
            failure.failed_at -= timedelta(seconds=seconds)
        for client in tx.session.scalars(select(KnownClient)):
            client.last_login_at -= timedelta(seconds=seconds)


def waits(error):
    """A 429's Retry-After to the nearest ten seconds: a slow machine's second does not
    make 59 of 60."""
    assert error.headers() == {"Retry-After": str(error.retry_after)}
    return round(error.retry_after, -1)


def a_stranger_guessing(store, phone):
    """What a stranger sees guessing at `phone` from one new address after another
    (so that no address reaches its own limit), waiting out each delay: [answer...]."""
    seen, addresses = [], iter(ATTACKERS)
    for _ in range(LIMITS.per_phone):
        wrong = refused(store, Unauthenticated, phone, "wrong password", next(addresses))
        seen.append(wrong.to_json())
    for _ in range(4):
        slowed = refused(store, TooManyRequests, phone, "wrong password", next(addresses))
        assert slowed.to_json()["error"] == "too_many_requests"
        seen.append(waits(slowed))
        age(store, slowed.retry_after)
        wrong = refused(store, Unauthenticated, phone, "wrong password", next(addresses))
        seen.append(wrong.to_json())
    return seen


def test_a_stranger_is_slowed_by_delays_that_double_the_same_for_an_unknown_phone(store):
    known = a_stranger_guessing(store, PHONE)

    wrong = {"error": "unauthenticated", "message": "wrong phone number or password"}
    assert known == [wrong] * 3 + [60, wrong, 120, wrong, 240, wrong, 240, wrong]
    # while the delay runs, the right password from a stranger waits like a wrong one
    assert waits(refused(store, TooManyRequests, PHONE, address=CAFE)) == 240
    # a phone nobody has gets word for word the same answers and the same delays
    assert a_stranger_guessing(store, NOBODY) == known
    assert waits(refused(store, TooManyRequests, NOBODY, address=CAFE)) == 240


def test_the_owner_gets_in_from_a_known_device_or_address_while_a_stranger_fails_on(store):
    device = login(store, PHONE, address=HOME)["device"]
    attacker = ATTACKERS[0]
    # the attacker's own account: a device token and an address known for someone else
    create_street_admin(store, "昆都仑区", "坏人", "13800000666", DEMO_PASSWORD)
    own_device = login(store, "13800000666", address=attacker)["device"]

    for _ in range(LIMITS.per_phone):
        refused(store, Unauthenticated, PHONE, "wrong password", attacker)
    for address in ATTACKERS[1:4]:  # and on, slowed, from other addresses
        slowed = refused(store, TooManyRequests, PHONE, "wrong password", address)
        age(store, slowed.retry_after)
        refused(store, Unauthenticated, PHONE, "wrong password", address)
    assert waits(refused(store, TooManyRequests, PHONE, "wrong password", ATTACKERS[4])) == 240
    # neither a token of his own nor a made-up one lets him past the delay
    for token in (own_device, device[:-1] + "x", "made-up"):
        refused(store, TooManyRequests, PHONE, "wrong password", ATTACKERS[5], token)

    # the owner: at home, where they logged in before, with or without the device
    assert login(store, PHONE, address=HOME)["person"]["phone"] == PHONE
    # on their device from a new address, which keeps its token
    at_cafe = login(store, PHONE, address=CAFE, device=device)
    assert at_cafe["person"]["phone"] == PHONE and at_cafe["device"] == device
    # a known client mistyping reaches the password check, not the delay
    refused(store, Unauthenticated, PHONE, "wrong password", HOME, device)
    # and from a new address without the device the owner is a stranger, delayed
    refused(store, TooManyRequests, PHONE, address="10.0.0.77")
    # the cafe is now known too: the owner gets in there without the device
    assert login(store, PHONE, address=CAFE)["person"]["phone"] == PHONE

    # the owner's logins gave the attacker no fresh round of free guesses
    refused(store, TooManyRequests, PHONE, "wrong password", ATTACKERS[6])


def test_the_address_limit_holds_for_everybody_and_a_success_takes_back_only_its_own_attempt(
    store,
):
    login(store, PHONE, address=HOME)
    refused(store, Unauthenticated, PHONE, "wrong password", HOME)
    login(store, PHONE, address=HOME)

    assert failures(store, "phone", PHONE) == 1  # the mistake stays; the success does not count
    assert failures(store, "address", HOME) == 1
    others = [f"1390000000{n}" for n in range(LIMITS.per_address - 1)]
    for phone in others:  # one guess each: no phone is near its own delay
        refused(store, Unauthenticated, phone, "wrong password", HOME)
    assert failures(store, "address", HOME) == LIMITS.per_address
    # the address is refused, the owner's known address and device included
    device = login(store, PHONE, address=CAFE)["device"]
    assert refused(store, TooManyRequests, PHONE, address=HOME, device=device).retry_after > 0
    assert refused(store, TooManyRequests, NOBODY, address=HOME).retry_after > 0
    assert login(store, PHONE, address=CAFE)["person"]["phone"] == PHONE

    age(store, LIMITS.window_seconds + 1)
    assert login(store, PHONE, address=HOME)["person"]["phone"] == PHONE


def test_what_ages_out_failures_by_their_windows_and_known_clients_after_their_days(store):
    device = login(store, PHONE, address=HOME)["device"]
    for address in ATTACKERS[: LIMITS.per_phone]:
        refused(store, Unauthenticated, PHONE, "wrong password", address)

    age(store, LIMITS.window_seconds + 1)
    # the addresses' failures are gone, the phone's still count
    assert run(store, logins.forget_expired, LIMITS) == LIMITS.per_phone
    assert failures(store, "phone", PHONE) == LIMITS.per_phone
    assert failures(store, "address", ATTACKERS[0]) == 0
    refused(store, Unauthenticated, PHONE, "wrong password", ATTACKERS[5])
    refused(store, TooManyRequests, PHONE, address=CAFE)

    age(store, LIMITS.phone_window_seconds)
    assert run(store, logins.forget_expired, LIMITS) == LIMITS.per_phone + 2
    assert failures(store, "phone", PHONE) == 0
    assert login(store, PHONE, address=CAFE)["device"] != device  # a new device here

    # a client not seen for the known days is a stranger again
    age(store, LIMITS.known_days * 86400)
    assert run(store, logins.forget_expired, LIMITS) == 4  # two devices, two addresses
    for address in ATTACKERS[: LIMITS.per_phone]:
        refused(store, Unauthenticated, PHONE, "wrong password", address)
    refused(store, TooManyRequests, PHONE, address=HOME, device=device)


def test_a_device_token_is_the_suites_own_random_value_stored_only_as_its_hash(store):
    first = login(store, PHONE, device="chosen-by-the-client")["device"]
    assert first != "chosen-by-the-client" and len(first) == 43
    assert login(store, PHONE, device=first)["device"] == first
    with store.reading() as session:
        stored = set(session.scalars(select(KnownClient.key_hash)))
    assert stored == {hashlib.sha256(v.encode()).hexdigest() for v in (first, HOME)}

    # another person on the same device is given the same token, known for both
    create_street_admin(store, "昆都仑区", "家人", "13800000002", DEMO_PASSWORD)
    assert login(store, "13800000002", address=CAFE, device=first)["device"] == first

    too_long = refused(store, InvalidInput, PHONE, device="x" * 65)
    assert list(too_long.fields) == ["X-Device"]
    assert failures(store, "address", HOME) == 0  # refused before anything was counted


def test_a_person_keeps_only_their_newest_devices(store, monkeypatch):
    monkeypatch.setattr(logins, "MAX_KNOWN_CLIENTS", 2)
    devices = [login(store, PHONE)["device"] for _ in range(3)]  # no X-Device: new each time

    with store.reading() as session:
        kept = session.scalar(
            select(func.count()).select_from(KnownClient).where(KnownClient.kind == "device")
        )
    assert kept == 2
    for address in ATTACKERS[: LIMITS.per_phone]:
        refused(store, Unauthenticated, PHONE, "wrong password", address)
    assert login(store, PHONE, address=CAFE, device=devices[2])["device"] == devices[2]
    refused(store, TooManyRequests, PHONE, address="10.0.0.77", device=devices[0])


@pytest.mark.parametrize("phone", [PHONE, NOBODY, "13800000003"])
def test_guesses_sent_at_the_same_moment_see_each_other(store, phone):
    """Eight guesses at once when one is left before the delay: one is checked."""

    def guess(address):
        try:
            login(store, phone, "wrong password", address)
        except (Unauthenticated, TooManyRequests) as error:
            return type(error)

    def hold_a_connection(_):
        with store.reading() as session:
            session.execute(select(1))
            eventlet.sleep(0.05)

    for address in ATTACKERS[8 : 8 + LIMITS.per_phone - 1]:
        guess(address)
    # eight connections open in the pool, so that no guess is held up making one
    list(eventlet.GreenPool(8).imap(hold_a_connection, range(8)))
    answers = list(eventlet.GreenPool(8).imap(guess, ATTACKERS[:8]))

    assert answers.count(Unauthenticated) == 1
    assert answers.count(TooManyRequests) == 7
    assert failures(store, "phone", phone) == LIMITS.per_phone
