"""The volunteer service's pure rules: service time, stars, capacity, periods, voucher codes."""

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import VOLUNTEER_TEST_CONFIG
from nameko.exceptions import ConfigurationError

from volunteer import domain
from volunteer.settings import activity_limits
from yzw_kernel.contracts import volunteer as contract
from yzw_kernel.errors import Conflict, InvalidInput

RULES = VOLUNTEER_TEST_CONFIG["STARS"]
BEIJING = ZoneInfo("Asia/Shanghai")
NINE = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
ELEVEN = NINE + timedelta(hours=2)


def at(hours, minutes=0, seconds=0):
    return datetime(2026, 3, 10, hours, minutes, seconds, tzinfo=UTC)


# -- served_minutes -----------------------------------------------------------


@pytest.mark.parametrize(
    ("checked_in", "checked_out", "minutes"),
    [
        (at(9), at(11), 120),  # exactly the activity's hours
        (at(8, 30), at(12), 120),  # early and late: cut to the activity
        (at(9, 15), at(10, 5), 50),  # inside
        (at(8), at(9, 30), 30),  # came early, left during it
        (at(10, 45), at(13), 15),  # came late, stayed after
        (at(7), at(8, 59), 0),  # left before it started
        (at(11), at(12), 0),  # came when it had ended
        (at(11, 30), at(12), 0),  # wholly after it
        (at(9), at(9, 0, 59), 0),  # under a minute is not a minute
        (at(9), at(9, 1, 59), 1),  # partial minutes are dropped, not rounded
    ],
)
def test_service_time_counts_only_inside_the_activitys_hours(checked_in, checked_out, minutes):
    assert domain.served_minutes(checked_in, checked_out, NINE, ELEVEN) == minutes


def test_service_time_is_the_same_whatever_zone_the_times_are_written_in():
    checked_in = at(8, 30).astimezone(BEIJING)  # 16:30 in Beijing
    checked_out = at(12).astimezone(BEIJING)
    assert checked_in.hour == 16
    assert domain.served_minutes(checked_in, checked_out, NINE, ELEVEN) == 120


# -- stars_for_service ---------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "per_hour", "stars"),
    [(120, 5, 10), (60, 6, 6), (50, 5, 4), (59, 1, 0), (0, 10, 0), (90, 0, 0), (61, 60, 61)],
)
def test_stars_for_service_are_whole_stars_for_the_time_served_rounded_down(
    minutes, per_hour, stars
):
    assert domain.stars_for_service(minutes, per_hour) == stars


# -- check_activity_times / check_capacity ---------------------------------------


def test_an_activity_ends_after_it_starts():
    domain.check_activity_times(NINE, ELEVEN)
    for ends in (NINE, NINE - timedelta(minutes=1)):
        with pytest.raises(InvalidInput) as raised:
            domain.check_activity_times(NINE, ends)
        assert "ends_at" in raised.value.fields


# -- check_activity: what a leader may plan alone ----------------------------------

LIMITS = domain.ActivityLimits()  # 12 hours, 10 stars an hour, 7 days back, 300 alone
NOW = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)


def refusal(check, *args):
    with pytest.raises(InvalidInput) as raised:
        check(*args)
    return raised.value.fields


def test_a_year_long_activity_at_a_hundred_stars_an_hour_is_refused_naming_both():
    # the minting run: 365 days at 100 stars an hour would pay 876,000 stars a volunteer
    fields = refusal(domain.check_activity, NINE, NINE + timedelta(days=365), 100, LIMITS, NOW)
    assert set(fields) == {"ends_at", "stars_per_hour"}
    assert fields["ends_at"] == ["at most 12 hours after starts_at"]
    assert fields["stars_per_hour"] == ["at most 10"]


@pytest.mark.parametrize(
    ("hours", "per_hour", "days_ago", "refused"),
    [
        (12, 10, 7, set()),  # every limit reached, none passed
        (2, 0, 0, set()),
        (12.02, 5, 0, {"ends_at"}),  # a minute past twelve hours
        (3, 11, 0, {"stars_per_hour"}),
        (3, 5, 7.01, {"starts_at"}),  # planned a little more than a week after it started
        (3, 5, 365, {"starts_at"}),  # back-dated a year
        (24, 50, 30, {"ends_at", "stars_per_hour", "starts_at"}),
    ],
)
def test_an_activity_is_within_its_length_rate_and_days_back(hours, per_hour, days_ago, refused):
    starts = NOW - timedelta(days=days_ago)
    ends = starts + timedelta(hours=hours)
    if not refused:
        domain.check_activity(starts, ends, per_hour, LIMITS, NOW)
    else:
        assert set(refusal(domain.check_activity, starts, ends, per_hour, LIMITS, NOW)) == refused


def test_the_limits_are_the_configured_ones_and_an_activity_still_ends_after_it_starts():
    generous = domain.ActivityLimits(max_hours=48, max_stars_per_hour=20, max_days_back=30)
    month_ago = NOW - timedelta(days=30)
    domain.check_activity(month_ago, month_ago + timedelta(hours=48), 20, generous, NOW)
    strict = domain.ActivityLimits(max_hours=1, max_stars_per_hour=2, max_days_back=0)
    fields = refusal(
        domain.check_activity, NOW - timedelta(hours=1), NOW + timedelta(hours=1), 3, strict, NOW
    )
    assert set(fields) == {"ends_at", "stars_per_hour", "starts_at"}
    assert set(refusal(domain.check_activity, NINE, NINE, 1, LIMITS, NOW)) == {"ends_at"}


# -- check_recorded_time: the leader records within the activity's hours, in the past --


@pytest.mark.parametrize(
    ("recorded", "field_message"),
    [
        (NINE, None),  # the start
        (ELEVEN, None),  # the end
        (at(10, 17), None),
        (NINE - timedelta(minutes=1), "not before starts_at"),
        (NINE - timedelta(days=365), "not before starts_at"),  # back-dated a year
        (ELEVEN + timedelta(minutes=1), "not after ends_at"),
    ],
)
def test_a_recorded_time_lies_within_the_activitys_hours(recorded, field_message):
    now = at(18)
    if field_message is None:
        domain.check_recorded_time(recorded, NINE, ELEVEN, now)
    else:
        assert refusal(domain.check_recorded_time, recorded, NINE, ELEVEN, now) == {
            "at": [field_message]
        }


def test_a_recorded_time_is_not_ahead_of_now_beyond_a_clocks_skew():
    now = at(10)  # during the activity
    domain.check_recorded_time(now, NINE, ELEVEN, now)
    domain.check_recorded_time(now + domain.CLOCK_SKEW, NINE, ELEVEN, now)
    later = now + domain.CLOCK_SKEW + timedelta(seconds=1)
    assert refusal(domain.check_recorded_time, later, NINE, ELEVEN, now) == {
        "at": ["not in the future"]
    }


# -- approval and overlaps -------------------------------------------------------------


def test_a_completion_paying_more_than_the_limit_needs_a_second_person():
    assert [domain.needs_approval(stars, LIMITS) for stars in (0, 299, 300, 301, 876_000)] == [
        False,
        False,
        False,
        True,
        True,
    ]
    assert domain.needs_approval(1, domain.ActivityLimits(approval_above=0))


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        ((9, 11), (10, 12), True),
        ((9, 11), (9, 11), True),
        ((9, 11), (9.5, 10), True),  # inside
        ((9, 11), (11, 13), False),  # one ends as the other starts
        ((9, 11), (7, 9), False),
        ((9, 11), (12, 13), False),
    ],
)
def test_two_spans_overlap_when_they_share_a_moment(first, second, overlap):
    def span(hours):
        return [NINE.replace(hour=0) + timedelta(hours=h) for h in hours]

    assert domain.overlaps(*span(first), *span(second)) is overlap
    assert domain.overlaps(*span(second), *span(first)) is overlap


# -- the settings, read when the service starts -------------------------------------------


def test_the_activity_limits_have_defaults_and_are_read_from_the_config():
    assert activity_limits({}) == domain.ActivityLimits(12, 10, 7, 300)
    config = {
        "ACTIVITY_MAX_HOURS": "8",
        "ACTIVITY_MAX_STARS_PER_HOUR": 5,
        "ACTIVITY_MAX_DAYS_BACK": "0",
        "ACTIVITY_APPROVAL_ABOVE_STARS": "",  # unset: the default
    }
    assert activity_limits(config) == domain.ActivityLimits(8, 5, 0, 300)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ACTIVITY_MAX_HOURS", "0"),
        ("ACTIVITY_MAX_HOURS", "twelve"),
        ("ACTIVITY_MAX_HOURS", "1.5"),
        ("ACTIVITY_MAX_HOURS", 10**12),
        ("ACTIVITY_MAX_STARS_PER_HOUR", "-1"),
        ("ACTIVITY_MAX_STARS_PER_HOUR", "101"),  # beyond what ActivityIn takes at all
        ("ACTIVITY_MAX_DAYS_BACK", "-7"),
        ("ACTIVITY_APPROVAL_ABOVE_STARS", "lots"),
    ],
)
def test_a_bad_activity_limit_stops_the_start_naming_the_setting(name, value):
    with pytest.raises(ConfigurationError, match=name):
        activity_limits({name: value})


def test_a_place_is_free_until_the_capacity_is_reached():
    domain.check_capacity(0, 1)
    domain.check_capacity(2, 3)
    for signed_up in (3, 4):
        with pytest.raises(Conflict) as raised:
            domain.check_capacity(signed_up, 3)
        assert "capacity" in raised.value.fields


# -- stars_for_closed_appeal -----------------------------------------------------


@pytest.mark.parametrize(
    ("rating", "stars"), [(None, 0), (1, 0), (2, 0), (3, 10), (4, 10), (5, 15)]
)
def test_a_handler_earns_for_an_appeal_rated_three_or_more_and_a_bonus_for_five(rating, stars):
    assert domain.stars_for_closed_appeal(rating, RULES) == stars


def test_appeal_stars_follow_the_configured_rules_and_have_defaults():
    rules = {"appeal_closed": 7, "appeal_min_rating": 4, "appeal_five_star_bonus": 3}
    assert [domain.stars_for_closed_appeal(r, rules) for r in (3, 4, 5)] == [0, 7, 10]
    assert [domain.stars_for_closed_appeal(r, {}) for r in (2, 3, 5)] == [0, 10, 15]


# -- stars_for_visit ---------------------------------------------------------------


def test_visits_earn_up_to_the_daily_cap_and_nothing_after():
    paid = [domain.stars_for_visit(done, RULES) for done in range(8)]
    assert paid == [2, 2, 2, 2, 2, 0, 0, 0]
    one_a_day = {"visit": 3, "visits_per_day_cap": 1}
    assert [domain.stars_for_visit(done, one_a_day) for done in (0, 1)] == [3, 0]
    assert domain.stars_for_visit(0, {}) == 2  # the defaults: 2 a visit, 5 a day
    assert domain.stars_for_visit(5, {}) == 0


# -- period_start -------------------------------------------------------------------


def test_a_period_starts_at_beijing_midnight_of_the_first_of_the_month_or_year_or_never():
    now = datetime(2026, 7, 19, 13, 45, tzinfo=UTC)
    # 1 July 00:00 in Beijing is 30 June 16:00 UTC
    assert domain.period_start("month", now) == datetime(2026, 6, 30, 16, tzinfo=UTC)
    assert domain.period_start("year", now) == datetime(2025, 12, 31, 16, tzinfo=UTC)
    assert domain.period_start("all", now) is None
    # 1 August 02:00 in Beijing is still 31 July in UTC: already August's board
    early = datetime(2026, 7, 31, 18, tzinfo=UTC)
    assert domain.period_start("month", early) == datetime(2026, 7, 31, 16, tzinfo=UTC)


def test_an_unknown_period_is_invalid_input():
    with pytest.raises(InvalidInput) as raised:
        domain.period_start("week", datetime(2026, 7, 19, tzinfo=UTC))
    assert raised.value.fields == {"period": ["month", "year", "all"]}


def test_the_domain_and_the_contract_agree_on_periods_and_focuses():
    assert domain.PERIODS == contract.PERIODS
    assert domain.TEAM_FOCUSES == contract.TEAM_FOCUSES
    assert set(domain.CLOSED_ACTIVITY) == set(contract.ACTIVITY_STATUSES) - {"open"}


# -- voucher_code ----------------------------------------------------------------------


def test_a_voucher_code_is_ten_readable_characters_without_look_alikes():
    codes = {domain.voucher_code(uuid.uuid4().hex) for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert len(code) == 10
        assert set(code) <= set("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")
        assert not set(code) & set("0O1I")


def test_a_voucher_code_depends_only_on_its_number():
    raw = uuid.uuid4().hex
    assert domain.voucher_code(raw) == domain.voucher_code(raw.upper())
    assert domain.voucher_code("0" * 32) == "2" * 10
    assert domain.voucher_code("1") == "3" + "2" * 9
