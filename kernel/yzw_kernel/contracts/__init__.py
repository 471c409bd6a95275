"""Integration event contracts: what each event carries, and who subscribes.

Services share these contracts, never tables or domain code. The README's
event catalogue is generated from nowhere: keep it true to this file
(tests/unit/test_catalogue.py checks both directions).
"""

from dataclasses import dataclass

from marshmallow import Schema, fields


@dataclass(frozen=True)
class EventContract:
    version: int
    schema: type
    description: str


@dataclass(frozen=True)
class Subscription:
    """A consumer's queue, named the way nameko names it."""

    source: str
    event_type: str
    service: str
    method: str

    @property
    def queue_name(self):
        return f"evt-{self.source}-{self.event_type}--{self.service}.{self.method}"


class PersonRegistered(Schema):
    person_id = fields.String(required=True)
    name = fields.String(required=True)
    household_id = fields.String(allow_none=True, load_default=None)
    grid_id = fields.String(allow_none=True, load_default=None)
    community_id = fields.String(allow_none=True, load_default=None)
    party_member = fields.Boolean(required=True)


class GridRoleChanged(Schema):
    grid_id = fields.String(required=True)
    community_id = fields.String(required=True)
    person_id = fields.String(required=True)
    role = fields.String(required=True)


class VisitLogged(Schema):
    visit_id = fields.String(required=True)
    visitor_id = fields.String(required=True)
    household_id = fields.String(required=True)
    grid_id = fields.String(required=True)
    visited_at = fields.String(required=True)


class AppealEvent(Schema):
    appeal_id = fields.String(required=True)
    number = fields.String(required=True)
    community_id = fields.String(required=True)
    grid_id = fields.String(required=True)
    category = fields.String(required=True)
    status = fields.String(required=True)
    level = fields.String(required=True)
    assignee_kind = fields.String(allow_none=True, load_default=None)
    assignee_id = fields.String(allow_none=True, load_default=None)
    actor_id = fields.String(allow_none=True, load_default=None)


class AppealClosed(AppealEvent):
    # None when no person handled it (a completed project resolved it): nobody earns stars
    handler_id = fields.String(required=True, allow_none=True)
    rating = fields.Integer(required=True)


class DeliberationClosed(Schema):
    deliberation_id = fields.String(required=True)
    appeal_id = fields.String(required=True)
    # null when the appeal is confidential: its votes' questions stay inside the suite
    question = fields.String(required=True, allow_none=True)
    outcome = fields.String(required=True)  # decided | no_quorum | tie
    winner = fields.String(allow_none=True, load_default=None)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    eligible = fields.Integer(required=True)


class ProjectProposed(Schema):
    proposal_id = fields.String(required=True)
    community_id = fields.String(required=True)
    title = fields.String(required=True)
    appeal_ids = fields.List(fields.String(), required=True)
    estimated_cost_fen = fields.Integer(required=True)
    beneficiaries = fields.Integer(required=True)
    proposed_by = fields.String(required=True)


class ProjectCompleted(Schema):
    project_id = fields.String(required=True)
    # the appeals proposal it grew from; None for a project staff created directly
    proposal_id = fields.String(allow_none=True, load_default=None)
    community_id = fields.String(required=True)
    appeal_ids = fields.List(fields.String(), required=True)
    beneficiaries = fields.Integer(required=True)
    actual_spend_fen = fields.Integer(required=True)


class DonationReceived(Schema):
    # no donor names on the bus: who gave is the fund's to show, and only if agreed
    donation_id = fields.String(required=True)
    fund_id = fields.String(required=True)
    community_id = fields.String(allow_none=True, required=True)
    street_id = fields.String(required=True)
    channel = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    donor_kind = fields.String(required=True)
    project_id = fields.String(allow_none=True, required=True)


class GrantPaid(Schema):
    # no beneficiary names on the bus
    grant_id = fields.String(required=True)
    fund_id = fields.String(required=True)
    community_id = fields.String(allow_none=True, required=True)
    purpose = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    transaction_id = fields.String(required=True)


class ProjectFunded(Schema):
    project_id = fields.String(required=True)
    fund_id = fields.String(required=True)
    community_id = fields.String(required=True)
    budget_fen = fields.Integer(required=True)
    from_earmarked_fen = fields.Integer(required=True)
    from_general_fen = fields.Integer(required=True)
    transaction_id = fields.String(required=True)


class StarsAwarded(Schema):
    account_id = fields.String(required=True)
    owner_kind = fields.String(required=True)
    owner_id = fields.String(required=True)
    stars = fields.Integer(required=True)
    source = fields.String(required=True)
    reason = fields.String(required=True)
    balance = fields.Integer(required=True)


class StarsRedeemed(Schema):
    account_id = fields.String(required=True)
    owner_id = fields.String(required=True)
    voucher_id = fields.String(required=True)
    reward_id = fields.String(required=True)
    stars = fields.Integer(required=True)
    balance = fields.Integer(required=True)


class ActivityCompleted(Schema):
    activity_id = fields.String(required=True)
    team_id = fields.String(required=True)
    community_id = fields.String(required=True)
    volunteers = fields.Integer(required=True)
    minutes = fields.Integer(required=True)
    stars = fields.Integer(required=True)
    # the community admin whose approval a large completion waited for; null when none did
    approved_by = fields.String(allow_none=True, load_default=None)


EVENTS = {
    "grid.person_registered": EventContract(
        1, PersonRegistered, "A person was registered (resident, party member, staff)."
    ),
    "grid.role_assigned": EventContract(
        1, GridRoleChanged, "A person took a role in a grid (grid_worker, building_head...)."
    ),
    "grid.role_revoked": EventContract(
        1, GridRoleChanged, "A person's role in a grid was taken away."
    ),
    "grid.visit_logged": EventContract(
        1, VisitLogged, "A door-to-door visit (入户走访) was logged."
    ),
    "appeals.appeal_submitted": EventContract(
        1, AppealEvent, "A resident's appeal (群众点单) arrived and was routed to its grid."
    ),
    "appeals.appeal_dispatched": EventContract(
        1, AppealEvent, "An appeal was dispatched (网格派单) to a handler."
    ),
    "appeals.appeal_claimed": EventContract(1, AppealEvent, "A handler took the appeal (接单)."),
    "appeals.appeal_resolved": EventContract(1, AppealEvent, "The handler resolved the appeal."),
    "appeals.appeal_closed": EventContract(
        1, AppealClosed, "The resident rated the result (群众评单) and the appeal closed."
    ),
    "appeals.appeal_escalated": EventContract(
        1, AppealEvent, "The appeal went up one level (grid → ... → department)."
    ),
    "appeals.deliberation_closed": EventContract(
        1, DeliberationClosed, "A vote (有事来商量) closed with a result or no quorum."
    ),
    "appeals.project_proposed": EventContract(
        1, ProjectProposed, "Staff grouped appeals into a 定向投 project proposal."
    ),
    "volunteer.stars_awarded": EventContract(
        1, StarsAwarded, "Red stars (闪闪红星) were credited to an account."
    ),
    "volunteer.stars_redeemed": EventContract(
        1, StarsRedeemed, "Red stars were spent on a reward; a voucher was issued."
    ),
    "volunteer.activity_completed": EventContract(
        1,
        ActivityCompleted,
        "A volunteer activity was completed and its hours paid in stars (a large payment "
        "once a second person approved it).",
    ),
    "funding.donation_received": EventContract(
        1, DonationReceived, "A gift of money was booked into a fund, by channel."
    ),
    "funding.grant_paid": EventContract(
        1, GrantPaid, "A grant (三救三扶三奖) approved by two people was paid."
    ),
    "funding.project_funded": EventContract(
        1, ProjectFunded, "A 定向投 project's budget was allocated: earmarked gifts first."
    ),
    "funding.project_completed": EventContract(
        1, ProjectCompleted, "A funded project was completed; its appeals are resolved."
    ),
}

# Consumers of the suite's events. Producers declare these queues when they
# connect, so an event published before its consumer ever started waits in
# its queue instead of being dropped.
SUBSCRIPTIONS = [
    Subscription("grid", "role_revoked", "appeals", "on_role_revoked"),
    Subscription("funding", "project_completed", "appeals", "on_project_completed"),
    Subscription("grid", "person_registered", "volunteer", "on_person_registered"),
    Subscription("appeals", "appeal_closed", "volunteer", "on_appeal_closed"),
    Subscription("appeals", "project_proposed", "funding", "on_project_proposed"),
    Subscription("grid", "visit_logged", "volunteer", "on_visit_logged"),
]


def subscriptions_for(source):
    return [s for s in SUBSCRIPTIONS if s.source == source]
