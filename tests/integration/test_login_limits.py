"""Failed logins counted in grid's database, per phone and per client address,
on SQLite and on PostgreSQL: the lockout, its Retry-After, and what a success clears."""

from datetime import timedelta

import pytest
from conftest import DEMO_PASSWORD, grid_store
from sqlalchemy import func, select
from usecases import run

from grid import logins
from grid.admin import create_street_admin
from grid.models import LoginFailure
from yzw_kernel.errors import TooManyRequests, Unauthenticated

LIMITS = logins.LoginLimits(per_phone=3, per_address=5, window_seconds=600)
PHONE = "13800000001"
HERE, ELSEWHERE = "10.0.0.1", "10.0.0.2"


@pytest.fixture
def store(database_url):
    store = grid_store(database_url)
    create_street_admin(store, "昆都仑区", "街道管理员", PHONE, DEMO_PASSWORD)
    try:
        yield store
    finally:
        store.dispose()


def login(store, phone, password=DEMO_PASSWORD, address=HERE):
    return logins.authenticate(store, phone, password, address, LIMITS)


def refused(store, error, phone, password=DEMO_PASSWORD, address=HERE):
    with pytest.raises(error) as raised:
        login(store, phone, password, address)
    return raised.value


def failures(store, kind, key):
    with store.reading() as session:
        return session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.kind == kind, LoginFailure.key == key)
        )


def age(store, seconds):
    """Every failure so far happened `seconds` earlier than it did."""
    with store.transaction() as tx:
        for failure in tx.session.scalars(select(LoginFailure)):
            failure.failed_at -= timedelta(seconds=seconds)


def test_a_phone_is_locked_after_its_failures_known_or_not_until_they_age_out(store):
    for _ in range(LIMITS.per_phone):
        wrong = refused(store, Unauthenticated, PHONE, "wrong password")

    locked = refused(store, TooManyRequests, PHONE)  # the right password, too
    assert 590 <= locked.retry_after <= 600
    assert locked.headers() == {"Retry-After": str(locked.retry_after)}
    assert failures(store, "phone", PHONE) == LIMITS.per_phone  # a refused attempt adds none

    age(store, 599)
    assert refused(store, TooManyRequests, PHONE).retry_after == 1
    age(store, 1)
    assert login(store, PHONE)["phone"] == PHONE

    # an unknown phone, from elsewhere, gets word for word the same answers
    for _ in range(LIMITS.per_phone):
        unknown = refused(store, Unauthenticated, "13999999999", "wrong password", ELSEWHERE)
    assert unknown.to_json() == wrong.to_json()
    unknown_locked = refused(store, TooManyRequests, "13999999999", address=ELSEWHERE)
    assert unknown_locked.to_json()["error"] == locked.to_json()["error"] == "too_many_requests"


def test_a_success_clears_the_phones_failures_but_not_the_addresss(store):
    for _ in range(LIMITS.per_phone - 1):
        refused(store, Unauthenticated, PHONE, "wrong password")

    login(store, PHONE)

    assert failures(store, "phone", PHONE) == 0
    assert failures(store, "address", HERE) == LIMITS.per_phone - 1
    others = [f"1390000000{n}" for n in range(LIMITS.per_address - LIMITS.per_phone + 1)]
    for phone in others:  # one guess each: no phone is near its own limit
        refused(store, Unauthenticated, phone, "wrong password")
    assert failures(store, "address", HERE) == LIMITS.per_address
    assert refused(store, TooManyRequests, PHONE).retry_after > 0
    assert login(store, PHONE, address=ELSEWHERE)["phone"] == PHONE

    age(store, LIMITS.window_seconds + 1)
    refused(store, Unauthenticated, PHONE, "wrong password", ELSEWHERE)
    assert run(store, logins.forget_expired, LIMITS) == len(others) + LIMITS.per_address
    assert failures(store, "phone", PHONE) == 1
    assert failures(store, "address", HERE) == 0
    assert login(store, PHONE)["phone"] == PHONE
