"""The appeals service's RPC contract, shared with the gateway."""

from marshmallow import Schema, ValidationError, fields, validate, validates

from ..validation import Int, JsonBoolean, String, Time, Url
from .funding import MAX_BENEFICIARIES, MAX_FEN
from .paging import Cursor, Limit

STATUSES = ("submitted", "dispatched", "claimed", "resolved", "closed", "rejected", "withdrawn")
LEVELS = ("grid", "community", "street", "department")
CATEGORIES = (
    "legacy",
    "infrastructure",
    "daily",
    "dispute",
    "sanitation",
    "safety",
    "greening_lighting",
    "parking",
    "assistance",
    "property_service",
    "other",
)
SOURCES = ("resident_app", "visit", "patrol", "hotline")
ASSIGNEE_KINDS = ("person", "volunteer_team", "member_org", "department")
SCOPES = ("grid", "estate", "building")
DELIBERATION_STATUSES = ("open", "closed")


# what a confidential appeal (是否保密) shows of its words to those who may not read them
MASKED = {"description": "null when the appeal is confidential and not yours to read"}


def Text(max_length, required=True, **kw):
    return String(required=required, validate=validate.Length(min=1, max=max_length), **kw)


def Reason():
    return Text(1000, multiline=True)


class AppealIn(Schema):
    category = String(required=True, validate=validate.OneOf(CATEGORIES))
    title = Text(200)
    description = Text(5000, multiline=True)
    household_id = Text(36)
    source = String(load_default="resident_app", validate=validate.OneOf(SOURCES))
    photo_urls = fields.List(
        Url(schemes={"http", "https"}), load_default=list, validate=validate.Length(max=9)
    )
    confidential = JsonBoolean(load_default=False, metadata={"description": "是否保密"})
    anonymous = JsonBoolean(load_default=False)


class Assignee(Schema):
    kind = fields.String(required=True)
    id = fields.String(required=True)


class TimelineOut(Schema):
    at = fields.String(required=True)
    actor_id = fields.String(allow_none=True)
    action = fields.String(required=True)
    from_status = fields.String(allow_none=True)
    to_status = fields.String(required=True)
    note = fields.String(allow_none=True, metadata=MASKED)


class AppealSummaryOut(Schema):
    id = fields.String(required=True)
    number = fields.String(required=True)
    status = fields.String(required=True)
    level = fields.String(required=True)
    category = fields.String(required=True)
    source = fields.String()
    title = fields.String(required=True, allow_none=True, metadata=MASKED)
    grid_id = fields.String()
    community_id = fields.String()
    assignee = fields.Nested(Assignee, allow_none=True)
    rating = fields.Integer(allow_none=True)
    confidential = fields.Boolean()
    deadline_at = fields.String(allow_none=True)
    overdue = fields.Boolean()
    created_at = fields.String()


class AppealOut(AppealSummaryOut):
    description = fields.String(allow_none=True, metadata=MASKED)
    photo_urls = fields.List(fields.String(), allow_none=True, metadata=MASKED)
    anonymous = fields.Boolean()
    submitter_id = fields.String(
        allow_none=True,
        metadata={
            "description": "null when raised by staff, anonymous, or confidential and not "
            "yours to read"
        },
    )
    household_id = fields.String(
        allow_none=True,
        metadata={
            "description": "null when anonymous and you did not take it on, or confidential "
            "and not yours to read"
        },
    )
    building_id = fields.String(
        allow_none=True,
        metadata={"description": "the household's building; null on appeals raised before it"},
    )
    handler_id = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True, metadata=MASKED)
    rating_comment = fields.String(allow_none=True, metadata=MASKED)
    extension_requested_days = fields.Integer(allow_none=True)
    claimed_at = fields.String(allow_none=True)
    resolved_at = fields.String(allow_none=True)
    closed_at = fields.String(allow_none=True)
    timeline = fields.List(fields.Nested(TimelineOut), required=True)


class AppealPageOut(Schema):
    items = fields.List(fields.Nested(AppealSummaryOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class AppealQuery(Schema):
    community_id = String()
    grid_id = String()
    status = String(validate=validate.OneOf(STATUSES))
    category = String(validate=validate.OneOf(CATEGORIES))
    assignee = String(metadata={"description": "a person id, or `me`"})
    mine = fields.Boolean(metadata={"description": "only appeals I submitted"})
    claimable = fields.Boolean(metadata={"description": "appeals I may take on (党员接单)"})
    cursor = Cursor()
    limit = Limit()


class DispatchIn(Schema):
    assignee_id = Text(36)
    assignee_kind = String(load_default="person", validate=validate.OneOf(ASSIGNEE_KINDS))


class ResolveIn(Schema):
    resolution = Text(5000, multiline=True)


class RateIn(Schema):
    score = Int(1, 5, required=True)
    comment = String(multiline=True, load_default="", validate=validate.Length(max=1000))


class ReasonIn(Schema):
    reason = Reason()


class NoteIn(Schema):
    note = String(multiline=True, load_default="", validate=validate.Length(max=1000))


class ExtensionIn(Schema):
    days = Int(1, 30, required=True)
    reason = Reason()


class DeliberationIn(Schema):
    question = Text(500)
    options = fields.List(Text(200), required=True, validate=validate.Length(min=2, max=10))
    scope = String(required=True, validate=validate.OneOf(SCOPES))
    scope_id = Text(36)
    closes_at = Time(required=True)

    @validates("options")
    def _distinct(self, options, **_):
        if len(set(options)) != len(options):
            raise ValidationError("options must differ")


class VoteIn(Schema):
    option = Text(200)


class DeliberationOut(Schema):
    id = fields.String(required=True)
    appeal_id = fields.String(required=True)
    appeal_title = fields.String(allow_none=True, metadata=MASKED)
    question = fields.String(required=True, allow_none=True, metadata=MASKED)
    options = fields.List(fields.String(), required=True)
    scope = fields.String(required=True)
    scope_id = fields.String(required=True)
    eligible = fields.Integer(required=True)
    quorum_share = fields.Float()
    votes_cast = fields.Integer(required=True)
    my_vote = fields.String(allow_none=True)
    opened_at = fields.String()
    closes_at = fields.String(required=True)
    closed_at = fields.String(allow_none=True)
    status = fields.String(required=True)
    outcome = fields.String(allow_none=True)
    winner = fields.String(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True)


class DeliberationPageOut(Schema):
    items = fields.List(fields.Nested(DeliberationOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class DeliberationQuery(Schema):
    status = String(validate=validate.OneOf(DELIBERATION_STATUSES))
    cursor = Cursor()
    limit = Limit()


class ProposalIn(Schema):
    title = Text(200)
    appeal_ids = fields.List(Text(36), required=True, validate=validate.Length(min=1, max=200))
    estimated_cost_fen = Int(0, MAX_FEN, required=True)
    beneficiaries = Int(0, MAX_BENEFICIARIES, required=True)


class ProposalOut(Schema):
    id = fields.String(required=True)
    community_id = fields.String(required=True)
    title = fields.String(required=True)
    appeal_ids = fields.List(fields.String(), required=True)
    estimated_cost_fen = fields.Integer(required=True)
    beneficiaries = fields.Integer(required=True)
    proposed_by = fields.String(required=True)
    created_at = fields.String(required=True)
    completed_at = fields.String(allow_none=True)


class StatsQuery(Schema):
    community_id = String()
    grid_id = String()


class MonthSatisfactionOut(Schema):
    month = fields.String(required=True, metadata={"example": "2026-03"})
    rated = fields.Integer(required=True, metadata={"description": "ratings given that month"})
    satisfied = fields.Integer(required=True, metadata={"description": "of them, 4 or 5"})
    satisfaction = fields.Float(
        allow_none=True, metadata={"description": "satisfied / rated; null with no ratings"}
    )


class StatsOut(Schema):
    community_id = fields.String(allow_none=True)
    grid_id = fields.String(allow_none=True)
    total = fields.Integer(required=True)
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    by_category = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    by_source = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    by_grid = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    median_hours_to_claim = fields.Float(allow_none=True)
    median_hours_to_resolve = fields.Float(allow_none=True)
    rated = fields.Integer(required=True)
    satisfaction = fields.Float(
        allow_none=True, metadata={"description": "share of ratings of 4 or 5"}
    )
    overdue = fields.Integer(required=True)
    satisfaction_by_month = fields.List(
        fields.Nested(MonthSatisfactionOut),
        required=True,
        metadata={
            "description": "the last 12 calendar months (UTC), oldest first, the current one "
            "last; each appeal's latest rating, in the month it was given"
        },
    )
