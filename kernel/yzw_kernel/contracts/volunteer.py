"""The volunteer service's RPC contract, shared with the gateway."""

from marshmallow import Schema, fields, validate

from ..validation import Int, String, Time
from .paging import MAX_PAGE, Cursor, Limit, page_of

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
# open → completed, or open → awaiting_approval → completed or rejected (a large payment)
ACTIVITY_STATUSES = ("open", "awaiting_approval", "completed", "rejected")


def Text(max_length, **kw):
    return String(required=True, validate=validate.Length(min=1, max=max_length), **kw)


def Count(minimum, maximum, **kw):
    return Int(minimum, maximum, required=True, **kw)


class TeamIn(Schema):
    community_id = Text(36)
    name = Text(100)
    focus = String(required=True, validate=validate.OneOf(TEAM_FOCUSES))
    leader_id = Text(36)


class TeamMemberIn(Schema):
    person_id = Text(36)


class TeamOut(Schema):
    id = fields.String(required=True)
    community_id = fields.String(required=True)
    name = fields.String(required=True)
    focus = fields.String(required=True)
    leader_id = fields.String(required=True)
    members = fields.List(fields.String(), required=True)
    member_count = fields.Integer(required=True, metadata={"description": "the leader included"})
    names = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "the leader's and members' names by person id, where known"},
    )


class TeamQuery(Schema):
    community_id = Text(36)


class ActivityIn(Schema):
    team_id = Text(36)
    title = Text(200)
    place = Text(200)
    starts_at = Time(required=True)
    ends_at = Time(required=True)
    capacity = Count(1, 10_000)
    stars_per_hour = Count(0, 100)


class ActivityOut(Schema):
    id = fields.String(required=True)
    team_id = fields.String(required=True)
    community_id = fields.String(required=True)
    title = fields.String(required=True)
    place = fields.String(required=True)
    starts_at = fields.String(required=True)
    ends_at = fields.String(required=True)
    capacity = fields.Integer(required=True)
    signed_up = fields.Integer(required=True)
    stars_per_hour = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": ", ".join(ACTIVITY_STATUSES)})
    completed_by = fields.String(allow_none=True)
    stars_due = fields.Integer(
        allow_none=True,
        metadata={"description": "what the completion pays in all, counted when completed"},
    )
    decided_by = fields.String(
        allow_none=True, metadata={"description": "the community admin who approved or rejected"}
    )
    decision_comment = fields.String(allow_none=True)


ActivityPageOut = page_of(ActivityOut, "ActivityPageOut")


class ActivityQuery(Schema):
    community_id = Text(36)
    team_id = String(load_default=None, validate=validate.Length(min=1, max=36))
    status = String(load_default=None, validate=validate.OneOf(ACTIVITY_STATUSES))
    cursor = Cursor()
    limit = Limit()


class AttendanceIn(Schema):
    person_id = String(
        load_default=None, metadata={"description": "the team leader records someone else"}
    )
    at = Time(
        load_default=None, metadata={"description": "the leader records a past time; else now"}
    )


class SignUpOut(Schema):
    activity_id = fields.String(required=True)
    person_id = fields.String(required=True)
    person_name = fields.String(
        metadata={"description": "in the list of an activity's sign-ups, when the service knows it"}
    )
    status = fields.String(required=True, metadata={"description": "signed_up or cancelled"})
    checked_in_at = fields.String(allow_none=True)
    checked_out_at = fields.String(allow_none=True)
    minutes = fields.Integer(required=True)


class ActivityDecisionIn(Schema):
    comment = String(multiline=True, load_default="", validate=validate.Length(max=500))


class CompletionOut(Schema):
    activity = fields.Nested(ActivityOut, required=True)
    awarded = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class EntryOut(Schema):
    kind = fields.String(required=True)
    amount = fields.Integer(required=True)
    source = fields.String(required=True)
    reason = fields.String()
    created_at = fields.String(required=True)


class StarsOut(Schema):
    person_id = fields.String(required=True)
    balance = fields.Integer(required=True)
    entries = fields.List(
        fields.Nested(EntryOut), required=True, metadata={"description": "newest first, a page"}
    )
    next_cursor = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "pass as `cursor` for older entries; null when there are none"},
    )


class AwardIn(Schema):
    person_id = Text(36)
    stars = Count(1, 1000)
    reason = Text(500, multiline=True)


class LeaderboardQuery(Schema):
    community_id = String(validate=validate.Length(max=36))
    grid_id = String(validate=validate.Length(max=36))
    period = String(load_default="month", validate=validate.OneOf(PERIODS))
    limit = Int(1, MAX_PAGE, strict=False, load_default=20)


class LeaderOut(Schema):
    rank = fields.Integer(required=True)
    owner_kind = fields.String(required=True)
    owner_id = fields.String(required=True)
    name = fields.String()
    stars = fields.Integer(required=True)


class LeaderboardOut(Schema):
    period = fields.String(required=True)
    since = fields.String(allow_none=True)
    leaders = fields.List(fields.Nested(LeaderOut), required=True)


class RewardIn(Schema):
    community_id = Text(36)
    name = Text(200)
    provider_id = Text(36)
    price_stars = Count(1, 100_000)
    stock = Count(0, 100_000)


class RewardOut(Schema):
    id = fields.String(required=True)
    community_id = fields.String(required=True)
    name = fields.String(required=True)
    provider_id = fields.String(required=True)
    provider_name = fields.String(allow_none=True)
    price_stars = fields.Integer(required=True)
    stock = fields.Integer(required=True)


class RewardQuery(Schema):
    community_id = String(required=True, validate=validate.Length(min=1, max=36))


class VoucherOut(Schema):
    id = fields.String(required=True)
    code = fields.String(required=True)
    reward_id = fields.String(required=True)
    reward_name = fields.String()
    price_stars = fields.Integer(required=True)
    status = fields.String(required=True)
    issued_at = fields.String(required=True)
    used_at = fields.String(allow_none=True)
    cancelled_at = fields.String(allow_none=True)


VoucherPageOut = page_of(VoucherOut, "VoucherPageOut")


class CommunitySummaryOut(Schema):
    """Volunteering in a community, for its staff's dashboard."""

    community_id = fields.String(required=True)
    teams = fields.Integer(required=True)
    volunteers = fields.Integer(
        required=True, metadata={"description": "distinct people in the community's teams"}
    )
    activities_by_status = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    activities_completed = fields.Integer(required=True)
    service_minutes = fields.Integer(
        required=True, metadata={"description": "service time recorded at check-out"}
    )
    service_hours = fields.Float(required=True)
    accounts = fields.Integer(
        required=True, metadata={"description": "red-star accounts of the community"}
    )
    stars_earned = fields.Integer(required=True, metadata={"description": "ever earned"})
    stars_held = fields.Integer(required=True, metadata={"description": "balances now"})
