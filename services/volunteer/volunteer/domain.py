"""Rules of volunteering and red stars, in plain Python."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from yzw_kernel.errors import Conflict, InvalidInput

TEAM_FOCUSES = (
    "policy_outreach",
    "assistance",
    "health",
    "culture",
    "patrol",
    "waste_sorting",
    "environment",
    "other",
)
PERIODS = ("month", "year", "all")
# What an activity's completion can be waiting for, or has come to, instead of being open.
CLOSED_ACTIVITY = {
    "completed": "the activity is already completed; its stars were paid then",
    "awaiting_approval": "the activity's completion waits for a community admin's approval",
    "rejected": "the activity's completion was rejected; it pays no stars",
}
# How far ahead of the service's clock a recorded time may be (a phone's clock runs fast).
CLOCK_SKEW = timedelta(minutes=5)
# A community's days, months and years turn at Beijing midnight.
LOCAL_TIME = ZoneInfo("Asia/Shanghai")


def served_span(checked_in_at, checked_out_at, starts_at, ends_at):
    """The part of a volunteer's time that counts: inside the activity's own hours."""
    return max(checked_in_at, starts_at), min(checked_out_at, ends_at)


def served_minutes(checked_in_at, checked_out_at, starts_at, ends_at):
    """Service time counts only inside the activity's own hours."""
    start, end = served_span(checked_in_at, checked_out_at, starts_at, ends_at)
    return max(0, int((end - start).total_seconds() // 60))


def stars_for_service(minutes, stars_per_hour):
    return minutes * stars_per_hour // 60


@dataclass(frozen=True)
class ActivityLimits:
    """What a team's leader may plan and pay without anybody else (闪闪红星 are earned,
    not minted): an activity of at most `max_hours` at most `max_stars_per_hour`,
    starting at most `max_days_back` days before it is planned (recorded after the
    fact); a completion paying more than `approval_above` stars in all waits for a
    community admin other than the one who completed it."""

    max_hours: int = 12
    max_stars_per_hour: int = 10
    max_days_back: int = 7
    approval_above: int = 300


def check_activity_times(starts_at, ends_at):
    if ends_at <= starts_at:
        raise InvalidInput("an activity ends after it starts", {"ends_at": ["after starts_at"]})


def check_activity(starts_at, ends_at, stars_per_hour, limits, now):
    """An activity within the limits: its length, its rate, and how long ago it started."""
    check_activity_times(starts_at, ends_at)
    problems = {}
    if ends_at - starts_at > timedelta(hours=limits.max_hours):
        problems["ends_at"] = [f"at most {limits.max_hours} hours after starts_at"]
    if stars_per_hour > limits.max_stars_per_hour:
        problems["stars_per_hour"] = [f"at most {limits.max_stars_per_hour}"]
    if starts_at < now - timedelta(days=limits.max_days_back):
        problems["starts_at"] = [f"at most {limits.max_days_back} days ago"]
    if problems:
        raise InvalidInput("the activity is beyond what a team may plan", problems)


def check_recorded_time(at, starts_at, ends_at, now):
    """A time the leader records for someone: within the activity's hours, and past."""
    if at > now + CLOCK_SKEW:
        raise InvalidInput("a time in the future", {"at": ["not in the future"]})
    if at < starts_at:
        raise InvalidInput("a time before the activity starts", {"at": ["not before starts_at"]})
    if at > ends_at:
        raise InvalidInput("a time after the activity ends", {"at": ["not after ends_at"]})


def overlaps(first_start, first_end, second_start, second_end):
    """Two spans of time share at least a moment (end to start touching does not count)."""
    return first_start < second_end and second_start < first_end


def needs_approval(stars, limits):
    """A completion paying more than this waits for a second person."""
    return stars > limits.approval_above


def check_capacity(signed_up, capacity):
    if signed_up >= capacity:
        raise Conflict("the activity is full", {"capacity": [f"all {capacity} places taken"]})


def stars_for_closed_appeal(rating, rules):
    """A handler earns for an appeal closed at 3 or more; a 5 adds a bonus."""
    if rating is None or rating < int(rules.get("appeal_min_rating", 3)):
        return 0
    stars = int(rules.get("appeal_closed", 10))
    if rating == 5:
        stars += int(rules.get("appeal_five_star_bonus", 5))
    return stars


def stars_for_visit(visits_today, rules):
    """Visits earn stars up to a cap a day (入户走访 is daily work, not a farm)."""
    if visits_today >= int(rules.get("visits_per_day_cap", 5)):
        return 0
    return int(rules.get("visit", 2))


def period_start(period, now):
    """The first instant (in UTC) of the Beijing month or year `now` is in; None for all time."""
    if period not in PERIODS:
        raise InvalidInput("period is month, year or all", {"period": list(PERIODS)})
    if period == "all":
        return None
    local = now.astimezone(LOCAL_TIME)
    month = local.month if period == "month" else 1
    return datetime(local.year, month, 1, tzinfo=LOCAL_TIME).astimezone(UTC)


def voucher_code(raw_uuid_hex):
    """A short code a provider can read over the counter: 10 characters, no 0/O/1/I."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    number = int(raw_uuid_hex, 16)
    code = ""
    for _ in range(10):
        number, digit = divmod(number, len(alphabet))
        code += alphabet[digit]
    return code
