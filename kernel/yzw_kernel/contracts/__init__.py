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
}

# Consumers of the suite's events. Producers declare these queues when they
# connect, so an event published before its consumer ever started waits in
# its queue instead of being dropped.
SUBSCRIPTIONS = []


def subscriptions_for(source):
    return [s for s in SUBSCRIPTIONS if s.source == source]
