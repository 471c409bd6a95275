"""The funding service's RPC contract, shared with the gateway.

Money is integer fen everywhere: `amount_fen`, `budget_fen`. A fund belongs to
a community or to a street (then it serves all the street's communities).
"""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..validation import Int, JsonBoolean, String
from .paging import Cursor, Limit, page_of

CHANNELS = ("directed", "caring", "public_welfare", "leading", "mutual_aid")
DONOR_KINDS = ("person", "member_org", "anonymous")
# 三救三扶三奖
GRANT_PURPOSES = (
    "emergency_relief",  # 救急
    "disaster_relief",  # 救难
    "hardship_relief",  # 救困
    "elderly_support",  # 扶老
    "orphan_support",  # 扶孤
    "public_welfare_support",  # 扶持公益
    "recruit_award",  # 奖励入伍新兵
    "student_award",  # 优秀学子
    "role_model_award",  # 最美典型
)
CLAIMANT_KINDS = ("member_org", "social_org", "community")
CLAIM_FORMS = ("money", "goods", "labour")
PROJECT_STATUSES = (
    "proposed",
    "assessed",
    "approved",
    "funded",
    "claimed",
    "in_progress",
    "completed",
)
GRANT_STATUSES = ("applied", "approved", "paid", "rejected", "reversed")
# ¥100,000,000 in fen: one movement larger than this is a typing error
MAX_FEN = 10_000_000_000
# people a project serves, or things given at once: past these, a typing error
MAX_BENEFICIARIES = 1_000_000
MAX_QUANTITY = 1_000_000


def Text(max_length, **kw):
    return String(required=True, validate=validate.Length(min=1, max=max_length), **kw)


def OptionalText(max_length, **kw):
    return String(
        load_default=None, allow_none=True, validate=validate.Length(max=max_length), **kw
    )


def Fen(**kw):
    return Int(
        1,
        MAX_FEN,
        required=True,
        metadata={"description": "integer fen (分); ¥1 = 100"},
        **kw,
    )


class FundIn(Schema):
    name = Text(100)
    community_id = OptionalText(36)
    street_id = OptionalText(36)

    @validates_schema
    def one_scope(self, data, **_):
        if bool(data.get("community_id")) == bool(data.get("street_id")):
            raise ValidationError("give a community_id or a street_id, not both", "community_id")


class FundOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    community_id = fields.String(allow_none=True)
    street_id = fields.String(required=True)
    available_fen = fields.Integer(required=True)
    earmarked_fen = fields.Integer(required=True)
    allocated_fen = fields.Integer(required=True)
    created_at = fields.String(required=True)


class DonationIn(Schema):
    channel = String(required=True, validate=validate.OneOf(CHANNELS))
    amount_fen = Fen()
    donor_kind = String(
        load_default=None,
        validate=validate.OneOf(DONOR_KINDS),
        metadata={"description": "person if donor_id is given, else anonymous unless named"},
    )
    donor_id = OptionalText(36, metadata={"description": "a person or member organisation"})
    donor_name = OptionalText(100)
    show_name = JsonBoolean(
        load_default=False,
        metadata={"description": "the donor agreed to be named in the public report"},
    )
    project_id = OptionalText(36, metadata={"description": "earmark; required for directed"})
    note = String(multiline=True, load_default="", validate=validate.Length(max=500))

    @validates_schema
    def directed_needs_project(self, data, **_):
        if data["channel"] == "directed" and not data.get("project_id"):
            raise ValidationError("a directed gift names its project", "project_id")
        if data.get("donor_kind") in ("person", "member_org") and not (
            data.get("donor_id") or data.get("donor_name")
        ):
            raise ValidationError("name the donor or give their id", "donor_name")


class DonationOut(Schema):
    id = fields.String(required=True)
    fund_id = fields.String(required=True)
    channel = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    donor_kind = fields.String(required=True)
    donor_id = fields.String(allow_none=True)
    donor_name = fields.String(allow_none=True)
    show_name = fields.Boolean(required=True)
    project_id = fields.String(allow_none=True)
    transaction_id = fields.String(required=True)
    received_at = fields.String(required=True)
    reversed = fields.Boolean(required=True)


DonationPageOut = page_of(DonationOut, "DonationPageOut")


class InKindIn(Schema):
    description = Text(200, metadata={"example": "300 traffic cones"})
    quantity = Int(1, MAX_QUANTITY, load_default=1)
    valuation_fen = Fen()
    donor_kind = String(load_default=None, validate=validate.OneOf(DONOR_KINDS))
    donor_id = OptionalText(36)
    donor_name = OptionalText(100)
    show_name = JsonBoolean(load_default=False)
    project_id = OptionalText(36)


class InKindOut(Schema):
    id = fields.String(required=True)
    fund_id = fields.String(required=True)
    description = fields.String(required=True)
    quantity = fields.Integer(required=True)
    valuation_fen = fields.Integer(required=True)
    donor_kind = fields.String(required=True)
    donor_name = fields.String(allow_none=True)
    project_id = fields.String(allow_none=True)
    received_at = fields.String(required=True)


InKindPageOut = page_of(InKindOut, "InKindPageOut")


class ReversalIn(Schema):
    reason = Text(500, multiline=True)


class EntryOut(Schema):
    account = fields.String(required=True)
    amount_fen = fields.Integer(required=True)


class TransactionOut(Schema):
    id = fields.String(required=True)
    fund_id = fields.String(required=True)
    kind = fields.String(required=True)
    memo = fields.String(required=True)
    reverses = fields.String(allow_none=True)
    posted_at = fields.String(required=True)
    entries = fields.List(fields.Nested(EntryOut), required=True)


TransactionPageOut = page_of(TransactionOut, "TransactionPageOut")


class GrantIn(Schema):
    fund_id = Text(36)
    purpose = String(required=True, validate=validate.OneOf(GRANT_PURPOSES))
    beneficiary_name = Text(100)
    beneficiary_id = OptionalText(36)
    amount_fen = Fen()
    reason = Text(1000, multiline=True)


class GrantDecisionIn(Schema):
    comment = String(multiline=True, load_default="", validate=validate.Length(max=500))


class GrantOut(Schema):
    id = fields.String(required=True)
    fund_id = fields.String(required=True)
    purpose = fields.String(required=True)
    beneficiary_name = fields.String(required=True)
    beneficiary_id = fields.String(allow_none=True)
    amount_fen = fields.Integer(required=True)
    reason = fields.String(required=True)
    status = fields.String(required=True)
    applied_by = fields.String(required=True)
    approvals = fields.List(fields.Dict(), required=True)
    transaction_id = fields.String(allow_none=True)
    applied_at = fields.String(required=True)
    paid_at = fields.String(allow_none=True)


GrantPageOut = page_of(GrantOut, "GrantPageOut")


class GrantQuery(Schema):
    fund_id = Text(36)
    status = String(load_default=None, validate=validate.OneOf(GRANT_STATUSES))
    cursor = Cursor()
    limit = Limit()


class ProjectIn(Schema):
    community_id = Text(36)
    fund_id = OptionalText(36)
    title = Text(200)
    description = String(multiline=True, load_default="", validate=validate.Length(max=4000))
    estimated_cost_fen = Int(0, MAX_FEN, load_default=0)
    beneficiaries = Int(0, MAX_BENEFICIARIES, load_default=0)


class AssessIn(Schema):
    note = Text(4000, multiline=True, metadata={"description": "调研评估: what the survey found"})


class ApproveIn(Schema):
    budget_fen = Fen()
    fund_id = OptionalText(36, metadata={"description": "required if the project has no fund"})


class ClaimIn(Schema):
    claimant_kind = String(required=True, validate=validate.OneOf(CLAIMANT_KINDS))
    claimant_name = Text(100)
    claimant_id = OptionalText(36)
    part = Text(200, metadata={"example": "paving the north path"})
    form = String(required=True, validate=validate.OneOf(CLAIM_FORMS))
    value_fen = Int(0, MAX_FEN, load_default=0)


class CompleteIn(Schema):
    beneficiaries = Int(0, MAX_BENEFICIARIES, required=True)
    actual_spend_fen = Int(0, MAX_FEN, required=True)


class ClaimOut(Schema):
    id = fields.String(required=True)
    claimant_kind = fields.String(required=True)
    claimant_name = fields.String(required=True)
    claimant_id = fields.String(allow_none=True)
    part = fields.String(required=True)
    form = fields.String(required=True)
    value_fen = fields.Integer(required=True)
    claimed_at = fields.String(required=True)


class ProjectOut(Schema):
    id = fields.String(required=True)
    community_id = fields.String(required=True)
    fund_id = fields.String(allow_none=True)
    proposal_id = fields.String(allow_none=True)
    appeal_ids = fields.List(fields.String(), required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    status = fields.String(required=True)
    estimated_cost_fen = fields.Integer(required=True)
    assessment = fields.String(allow_none=True)
    budget_fen = fields.Integer(allow_none=True)
    earmarked_fen = fields.Integer(required=True)
    funded_fen = fields.Integer(required=True)
    spent_fen = fields.Integer(allow_none=True)
    beneficiaries = fields.Integer(required=True)
    claims = fields.List(fields.Nested(ClaimOut), required=True)
    created_at = fields.String(required=True)
    completed_at = fields.String(allow_none=True)


ProjectPageOut = page_of(ProjectOut, "ProjectPageOut")


class ProjectQuery(Schema):
    community_id = Text(36)
    status = String(load_default=None, validate=validate.OneOf(PROJECT_STATUSES))
    cursor = Cursor()
    limit = Limit()


class ReportProject(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    budget_fen = fields.Integer(allow_none=True)
    funded_fen = fields.Integer(required=True)
    spent_fen = fields.Integer(allow_none=True)
    beneficiaries = fields.Integer(required=True)


class ReportDonor(Schema):
    name = fields.String(required=True, metadata={"description": "masked unless agreed"})
    channel = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    received_at = fields.String(required=True)


class ReportOut(Schema):
    fund = fields.Dict(required=True)
    income_by_channel = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    income_total_fen = fields.Integer(required=True)
    in_kind_total_fen = fields.Integer(required=True)
    in_kind = fields.List(fields.Dict(), required=True)
    spending_by_purpose = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    spending_total_fen = fields.Integer(required=True)
    available_fen = fields.Integer(required=True)
    earmarked_fen = fields.Integer(required=True)
    allocated_fen = fields.Integer(required=True)
    projects = fields.List(fields.Nested(ReportProject), required=True)
    donors = fields.List(fields.Nested(ReportDonor), required=True)
    generated_at = fields.String(required=True)


class FundSummaryOut(Schema):
    community_id = fields.String(required=True)
    funds = fields.Integer(required=True)
    income_total_fen = fields.Integer(required=True)
    in_kind_total_fen = fields.Integer(required=True)
    spending_total_fen = fields.Integer(required=True)
    available_fen = fields.Integer(required=True)
    projects_by_status = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    beneficiaries = fields.Integer(required=True)
