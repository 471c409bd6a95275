"""Rules of volunteering and red stars, in plain Python."""

from datetime import UTC, datetime
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
# A community's days, months and years turn at Beijing midnight.
LOCAL_TIME = ZoneInfo("Asia/Shanghai")


def served_minutes(checked_in_at, checked_out_at, starts_at, ends_at):
    """Service time counts only inside the activity's own hours."""
    start = max(checked_in_at, starts_at)
    end = min(checked_out_at, ends_at)
    return max(0, int((end - start).total_seconds() // 60))


def stars_for_service(minutes, stars_per_hour):
    return minutes * stars_per_hour // 60


def check_activity_times(starts_at, ends_at):
    if ends_at <= starts_at:
        raise InvalidInput("an activity ends after it starts", {"ends_at": ["after starts_at"]})


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
