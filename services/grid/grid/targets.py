"""The street's departments 职能部门, and the targets an appeal of a community may be
dispatched to (appeals asks before it dispatches; volunteer answers for teams)."""

from sqlalchemy import or_, select

from yzw_kernel.contracts import grid as contract
from yzw_kernel.db import get_one
from yzw_kernel.errors import InvalidInput, NotFound
from yzw_kernel.types import iso, utcnow
from yzw_kernel.validation import load

from .access import Actor
from .app import _by_name, _grid_of_person, _unique
from .models import (
    AdminRole,
    Community,
    Department,
    Grid,
    GridRole,
    MemberOrganisation,
    Person,
    Street,
)


def _department_view(department):
    return {
        "id": department.id,
        "street_id": department.street_id,
        "name": department.name,
        "created_at": iso(department.created_at),
    }


def register_department(tx, actor_id, street_id, data):
    """The street registers a department 职能部门 that its appeals may be sent to."""
    data = load(contract.DepartmentIn, data)
    actor = Actor(tx.session, actor_id)
    street = get_one(tx.session, Street, street_id, "street")
    actor.require(actor.is_street_admin(street.id), "register this street's departments")
    _unique(
        tx,
        Department,
        "a department with this name already exists in the street",
        street_id=street.id,
        name=data["name"],
    )
    department = Department(street_id=street.id, name=data["name"], created_at=utcnow())
    tx.session.add(department)
    tx.flush()
    return _department_view(department)


def list_departments(tx, actor_id, street_id):
    actor = Actor(tx.session, actor_id)
    street = get_one(tx.session, Street, street_id, "street")
    actor.require(actor.works_in_street(street.id), "see this street's departments")
    departments = tx.session.scalars(select(Department).where(Department.street_id == street.id))
    return _by_name(_department_view(d) for d in departments)


# Who grid knows as a target of dispatch; appeals asks volunteer about teams.
DISPATCH_KINDS = ("person", "member_org", "department")
# What a person target is to the community: a confidential appeal goes to its staff only.
STAFF, PARTY_MEMBER = "staff", "party_member"


def dispatch_target(tx, kind, target_id, community_id):
    """Whether an appeal of `community_id` may be dispatched to `target_id`: a person on
    the community's staff (a grid role in one of its grids, its community admins and its
    street's admins) or a party member living there; a member organisation of the
    community; a department of its street. Anything else, whether it does not exist or
    belongs elsewhere, is refused alike with 404."""
    if kind not in DISPATCH_KINDS:
        raise InvalidInput(
            "not a kind of target grid knows", {"assignee_kind": list(DISPATCH_KINDS)}
        )
    community = tx.session.get(Community, community_id) if community_id else None
    found = (
        community is not None
        and bool(target_id)
        and _IN_COMMUNITY[kind](tx.session, target_id, community)
    )
    if not found:
        raise NotFound(
            f"no {kind} {target_id} in this community",
            {"assignee_id": ["not in this community"]},
        )
    return {
        "kind": kind,
        "id": target_id,
        "community_id": community.id,
        "street_id": community.street_id,
        "staff": found == STAFF,
    }


def _person_in_community(session, person_id, community):
    person = session.get(Person, person_id)
    if person is None:
        return False
    grids = select(Grid.id).where(Grid.community_id == community.id)
    holds_a_grid_role = session.scalar(
        select(GridRole.id)
        .where(GridRole.person_id == person.id, GridRole.grid_id.in_(grids))
        .limit(1)
    )
    administers = session.scalar(
        select(AdminRole.id)
        .where(
            AdminRole.person_id == person.id,
            or_(
                (AdminRole.role == "community_admin") & (AdminRole.community_id == community.id),
                (AdminRole.role == "street_admin") & (AdminRole.street_id == community.street_id),
            ),
        )
        .limit(1)
    )
    if holds_a_grid_role or administers:
        return STAFF
    if person.party_membership is None:
        return False
    home = _grid_of_person(session, person)
    return PARTY_MEMBER if home is not None and home.community_id == community.id else False


def _member_org_in_community(session, org_id, community):
    org = session.get(MemberOrganisation, org_id)
    return org is not None and org.community_id == community.id


def _department_of_street(session, department_id, community):
    department = session.get(Department, department_id)
    return department is not None and department.street_id == community.street_id


_IN_COMMUNITY = {
    "person": _person_in_community,
    "member_org": _member_org_in_community,
    "department": _department_of_street,
}
