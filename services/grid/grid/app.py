"""The grid service layer: one function per use case, each inside a unit of work."""

import re
from datetime import UTC, timedelta

from sqlalchemy import distinct, func, or_, select

from yzw_kernel.contracts import grid as contract
from yzw_kernel.contracts.paging import PageQuery
from yzw_kernel.db import get_one
from yzw_kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from yzw_kernel.paging import keyset_page
from yzw_kernel.types import utcnow
from yzw_kernel.validation import load

from . import domain
from .access import Actor
from .models import (
    AdminRole,
    Building,
    Community,
    DutySlot,
    Estate,
    Grid,
    GridRole,
    Household,
    MemberOrganisation,
    PartyOrg,
    PartyOrgMember,
    Person,
    Street,
    Unit,
    Visit,
)
from .passwords import hash_password


def _place(obj, **extra):
    view = {"id": obj.id}
    for attr in (
        "name",
        "number",
        "kind",
        "street_id",
        "community_id",
        "estate_id",
        "grid_id",
        "building_id",
        "unit_id",
    ):
        if hasattr(obj, attr):
            view[attr] = getattr(obj, attr)
    view.update(extra)
    return view


# -- places ------------------------------------------------------------------


def create_street(tx, name, level_names=None):
    street = Street(name=name, level_names=domain.level_names(level_names or {}))
    tx.session.add(street)
    tx.flush()
    return _place(street)


def _street_view(street):
    return {
        "id": street.id,
        "name": street.name,
        "level_names": domain.level_names(street.level_names or {}),
    }


def set_level_names(tx, actor_id, street_id, data):
    data = load(contract.LevelNamesIn, data)
    actor = Actor(tx.session, actor_id)
    street = get_one(tx.session, Street, street_id, "street")
    actor.require(actor.is_street_admin(street.id), "rename this street's levels")
    street.level_names = domain.level_names({**(street.level_names or {}), **data["level_names"]})
    tx.flush()
    return _street_view(street)


def get_community(tx, actor_id, community_id):
    actor = Actor(tx.session, actor_id)
    community = get_one(tx.session, Community, community_id, "community")
    actor.require(actor.in_community(community.id), "see this community")
    street = tx.session.get(Street, community.street_id)
    return {
        "id": community.id,
        "name": community.name,
        "street_id": street.id,
        "street_name": street.name,
        "level_names": _street_view(street)["level_names"],
    }


def create_community(tx, actor_id, data):
    data = load(contract.CommunityIn, data)
    actor = Actor(tx.session, actor_id)
    street_id = data["street"]
    if street_id is None:
        actor.require(actor.street_ids, "create communities")
        if len(actor.street_ids) != 1:
            raise InvalidInput("say which street", {"street": ["required"]})
        (street_id,) = actor.street_ids
    get_one(tx.session, Street, street_id, "street")
    actor.require(actor.is_street_admin(street_id), "create communities in this street")
    return _add_place(
        tx,
        Community,
        {"street_id": street_id, "name": data["name"]},
        "a community with this name already exists in the street",
        "street_id",
        "name",
    )


def _unique(tx, model, message, **where):
    if tx.session.scalar(select(model.id).filter_by(**where).limit(1)):
        raise Conflict(message)


def _add_place(tx, model, data, clash, *unique_on):
    """Add a place unless one with the same key exists; returns its view."""
    _unique(tx, model, clash, **{column: data[column] for column in unique_on})
    place = model(**data)
    tx.session.add(place)
    tx.flush()
    return _place(place)


def _create_in_community(tx, actor_id, model, data, what):
    actor = Actor(tx.session, actor_id)
    get_one(tx.session, Community, data["community_id"], "community")
    actor.require(actor.is_community_admin(data["community_id"]), f"add {what}s to this community")
    clash = f"a {what} with this name already exists in the community"
    return _add_place(tx, model, data, clash, "community_id", "name")


def create_estate(tx, actor_id, data):
    return _create_in_community(tx, actor_id, Estate, load(contract.EstateIn, data), "estate")


def create_grid(tx, actor_id, data):
    return _create_in_community(tx, actor_id, Grid, load(contract.GridIn, data), "grid")


def create_building(tx, actor_id, data):
    data = load(contract.BuildingIn, data)
    actor = Actor(tx.session, actor_id)
    estate = get_one(tx.session, Estate, data["estate_id"], "estate")
    grid = get_one(tx.session, Grid, data["grid_id"], "grid")
    if estate.community_id != grid.community_id:
        raise InvalidInput(
            "the estate and the grid are in different communities",
            {"grid_id": ["must be in the estate's community"]},
        )
    actor.require(actor.is_community_admin(estate.community_id), "add buildings to this community")
    clash = "a building with this name already exists in the estate"
    return _add_place(tx, Building, data, clash, "estate_id", "name")


def create_unit(tx, actor_id, data):
    data = load(contract.UnitIn, data)
    actor = Actor(tx.session, actor_id)
    building = get_one(tx.session, Building, data["building_id"], "building")
    actor.require(actor.is_grid_staff(building.grid_id), "add units to this building")
    clash = "a unit with this name already exists in the building"
    return _add_place(tx, Unit, data, clash, "building_id", "name")


def create_household(tx, actor_id, data):
    data = load(contract.HouseholdIn, data)
    actor = Actor(tx.session, actor_id)
    unit = get_one(tx.session, Unit, data["unit_id"], "unit")
    building = tx.session.get(Building, unit.building_id)
    actor.require(actor.is_grid_staff(building.grid_id), "add households to this unit")
    clash = "this household number already exists in the unit"
    return _add_place(tx, Household, data, clash, "unit_id", "number")


def household_place(session, household_id):
    """The household with its unit, building, estate and grid."""
    row = session.execute(
        select(Household, Unit, Building, Estate, Grid)
        .join(Unit, Household.unit_id == Unit.id)
        .join(Building, Unit.building_id == Building.id)
        .join(Estate, Building.estate_id == Estate.id)
        .join(Grid, Building.grid_id == Grid.id)
        .where(Household.id == household_id)
    ).first()
    if row is None:
        raise NotFound(f"no household with id {household_id}")
    return row


# -- people ------------------------------------------------------------------


def _person_view(person, show_phone):
    return {
        "id": person.id,
        "name": person.name,
        "phone": person.phone if show_phone else domain.mask_phone(person.phone),
        "household_id": person.household_id,
        "kind": person.kind,
        "party_member": person.party_membership is not None,
        "party_membership": person.party_membership,
        "employer": person.employer,
    }


def _grid_of_person(session, person):
    if person.household_id is None:
        return None
    return household_place(session, person.household_id)[4]


def _sees_phone(actor, person, grid):
    return actor.id == person.id or (grid is not None and actor.has_grid_role(grid.id))


def register_person(tx, actor_id, data):
    data = load(contract.PersonIn, data)
    actor = Actor(tx.session, actor_id)
    grid = None
    if data["household_id"]:
        _, _, _, _, grid = household_place(tx.session, data["household_id"])
        actor.require(actor.is_grid_staff(grid.id), "register people in this household's grid")
    else:
        actor.require(
            actor.street_ids or any(r.role == "community_admin" for r in actor.admin_roles),
            "register people without a household",
        )
    if tx.session.scalar(select(Person.id).where(Person.phone == data["phone"])):
        raise Conflict("this phone number is already registered", {"phone": ["already registered"]})
    membership = data["party_membership"] or ("registered" if data["party_member"] else None)
    if membership == "reporting" and not data["employer"]:
        raise InvalidInput(
            "a reporting party member (报到党员) names an employer",
            {"employer": ["required for reporting party members"]},
        )
    person = Person(
        name=data["name"],
        phone=data["phone"],
        password_hash=hash_password(data["password"]),
        household_id=data["household_id"],
        kind=data["kind"],
        party_membership=membership,
        employer=data["employer"],
    )
    tx.session.add(person)
    tx.flush()
    tx.publish(
        "person_registered",
        {
            "person_id": person.id,
            "name": person.name,
            "household_id": person.household_id,
            "grid_id": grid.id if grid else None,
            "community_id": grid.community_id if grid else None,
            "party_member": membership is not None,
        },
    )
    return _person_view(person, _sees_phone(actor, person, grid))


def get_person(tx, actor_id, person_id):
    actor = Actor(tx.session, actor_id)
    person = get_one(tx.session, Person, person_id, "person")
    grid = _grid_of_person(tx.session, person)
    allowed = actor.id == person.id or (grid is not None and actor.is_grid_staff(grid.id))
    if not allowed:
        raise Forbidden("you may not see this person's record")
    return _person_view(person, _sees_phone(actor, person, grid))


def _staff_of_grids(session, grid_ids, viewer):
    """The staff of each grid, in one query: {grid_id: [staff...]}."""
    rows = session.execute(
        select(GridRole, Person)
        .join(Person, GridRole.person_id == Person.id)
        .where(GridRole.grid_id.in_(grid_ids))
    ).all()
    staff = {grid_id: [] for grid_id in grid_ids}
    for role, person in rows:
        grid_id = role.grid_id
        sees = viewer is not None and (viewer.id == person.id or viewer.has_grid_role(grid_id))
        staff[grid_id].append(
            {
                **domain.role_view(grid_id, person.id, role.role, role.scope_id),
                "name": person.name,
                "phone": person.phone if sees else domain.mask_phone(person.phone),
            }
        )
    for members in staff.values():
        members.sort(key=lambda s: (domain.staff_sort_key(s["role"]), s["name"]))
    return staff


def _staff_of_grid(session, grid_id, viewer):
    return _staff_of_grids(session, [grid_id], viewer)[grid_id]


def _natural(name):
    """Sort key reading the numbers in a name as numbers: 2号楼 before 10号楼."""
    return [int(part) if i % 2 else part for i, part in enumerate(re.split(r"(\d+)", name))]


def _by_name(views, key="name"):
    return sorted(views, key=lambda v: (_natural(v[key]), v["id"]))


def _household_view(household, unit, building, estate):
    return {
        "id": household.id,
        "number": household.number,
        "kind": household.kind,
        "unit": _place(unit),
        "building": _place(building),
        "estate": _place(estate),
    }


def _grid_view(grid, street_id=None):
    view = {"id": grid.id, "name": grid.name, "community_id": grid.community_id}
    if street_id is not None:
        view["street_id"] = street_id
    return view


def locate(tx, household_id, actor_id=None):
    """Which grid serves a household, and who its responsible people are."""
    household, unit, building, estate, grid = household_place(tx.session, household_id)
    viewer = Actor(tx.session, actor_id) if actor_id else None
    if viewer is not None:
        lives_here = viewer.person.household_id == household.id
        viewer.require(lives_here or viewer.is_grid_staff(grid.id), "look up this household")
    community = tx.session.get(Community, grid.community_id)
    return {
        "household": _household_view(household, unit, building, estate),
        "grid": _grid_view(grid, community.street_id),
        "grid_staff": _staff_of_grid(tx.session, grid.id, viewer),
    }


def roles_of(actor):
    roles = []
    person = actor.person
    if person.household_id:
        roles.append("resident")
    if person.party_membership:
        roles.append("party_member")
    roles.extend(sorted({r.role for r in actor.grid_roles}, key=domain.staff_sort_key))
    if actor.grid_roles:
        roles.append("grid_staff")
    roles.extend(sorted({r.role for r in actor.admin_roles}))
    return roles


def me(tx, person_id):
    actor = Actor(tx.session, person_id)
    person = actor.person
    view = {
        "person": _person_view(person, True),
        "roles": roles_of(actor),
        "household": None,
        "grid": None,
        "grid_staff": [],
    }
    if person.household_id:
        household, unit, building, estate, grid = household_place(tx.session, person.household_id)
        view["household"] = _household_view(household, unit, building, estate)
        view["grid"] = _grid_view(grid)
        view["grid_staff"] = _staff_of_grid(tx.session, grid.id, actor)
    view["communities"], view["staff_grids"] = _where_i_work(tx.session, actor)
    return view


def _where_i_work(session, actor):
    """The communities a person works in, each with the roles held there, and the
    grids where they hold a role. A street admin works in every community of the street."""
    roles = {}  # community id → role names held there
    for r in actor.admin_roles:
        if r.community_id is not None:
            roles.setdefault(r.community_id, set()).add(r.role)
    grids = (
        session.scalars(
            select(Grid).where(Grid.id.in_({r.grid_id for r in actor.grid_roles}))
        ).all()
        if actor.grid_roles
        else []
    )
    grid_roles = {}
    community_of = {g.id: g.community_id for g in grids}
    for r in actor.grid_roles:
        grid_roles.setdefault(r.grid_id, set()).add(r.role)
        roles.setdefault(community_of[r.grid_id], set()).add(r.role)
    communities = (
        session.scalars(
            select(Community).where(
                or_(Community.id.in_(set(roles)), Community.street_id.in_(actor.street_ids))
            )
        ).all()
        if roles or actor.street_ids
        else []
    )
    for community in communities:
        if community.street_id in actor.street_ids:
            roles.setdefault(community.id, set()).add("street_admin")
    return (
        _by_name({"id": c.id, "name": c.name, "roles": sorted(roles[c.id])} for c in communities),
        _by_name(
            {
                "id": g.id,
                "name": g.name,
                "community_id": g.community_id,
                "roles": sorted(grid_roles[g.id]),
            }
            for g in grids
        ),
    )


def principal(tx, person_id):
    """What other services need to authorise a person: roles and where they hold them."""
    actor = Actor(tx.session, person_id)
    place = (
        household_place(tx.session, actor.person.household_id)
        if actor.person.household_id
        else None
    )
    _, _, building, estate, grid = place or (None,) * 5
    grid_communities = dict(
        tx.session.execute(
            select(Grid.id, Grid.community_id).where(
                Grid.id.in_({r.grid_id for r in actor.grid_roles})
            )
        ).all()
    )
    return {
        "person_id": actor.id,
        "name": actor.person.name,
        "kind": actor.person.kind,
        "party_member": actor.person.party_membership is not None,
        "household_id": actor.person.household_id,
        "building_id": building.id if building else None,
        "estate_id": estate.id if estate else None,
        "grid_id": grid.id if grid else None,
        "community_id": grid.community_id if grid else None,
        "roles": roles_of(actor),
        "grid_roles": [
            {"grid_id": r.grid_id, "community_id": grid_communities[r.grid_id], "role": r.role}
            for r in actor.grid_roles
        ],
        "admin_roles": [
            {"role": r.role, "community_id": r.community_id, "street_id": r.street_id}
            for r in actor.admin_roles
        ],
        # every community this person administers, directly or as their street's admin
        "administers": sorted(
            {r.community_id for r in actor.admin_roles if r.role == "community_admin"}
            | set(
                tx.session.scalars(
                    select(Community.id).where(Community.street_id.in_(actor.street_ids))
                )
            )
        ),
    }


def principals(tx, person_ids):
    """The principals of the people named, by id, leaving out ids that are nobody's: for
    a service to check the people named to it (a team's leader and members, a reward's
    provider) are real, and of the community, by the same rule as for those who ask."""
    person_ids = load(contract.PersonIdsIn, {"person_ids": person_ids})["person_ids"]
    known = tx.session.scalars(select(Person.id).where(Person.id.in_(set(person_ids))))
    return {person_id: principal(tx, person_id) for person_id in sorted(known)}


# -- roles -------------------------------------------------------------------


def assign_grid_role(tx, actor_id, grid_id, data):
    data = load(contract.GridRoleIn, data)
    actor = Actor(tx.session, actor_id)
    grid = get_one(tx.session, Grid, grid_id, "grid")
    actor.require(actor.is_community_admin(grid.community_id), "assign roles in this grid")
    get_one(tx.session, Person, data["person_id"], "person")
    field, scope_id = domain.role_scope(data["role"], data["building_id"], data["unit_id"])
    if field:
        _check_in_grid(tx.session, grid, field, scope_id)
    held = tx.session.execute(
        select(GridRole.role, GridRole.person_id, GridRole.scope_id).where(
            GridRole.grid_id == grid.id
        )
    ).all()
    domain.check_grid_role(
        data["role"],
        {role for role, _, _ in held},
        (data["role"], data["person_id"], scope_id) in set(held),
    )
    tx.session.add(
        GridRole(grid_id=grid.id, person_id=data["person_id"], role=data["role"], scope_id=scope_id)
    )
    tx.flush()
    event = {
        "grid_id": grid.id,
        "community_id": grid.community_id,
        "person_id": data["person_id"],
        "role": data["role"],
    }
    tx.publish("role_assigned", event)
    return domain.role_view(grid.id, data["person_id"], data["role"], scope_id)


def _check_in_grid(session, grid, field, scope_id):
    """A building head's building, or a unit head's unit, lies in the grid."""
    if field == "building_id":
        building = session.get(Building, scope_id)
    else:
        unit = session.get(Unit, scope_id)
        building = session.get(Building, unit.building_id) if unit else None
    if building is None or building.grid_id != grid.id:
        raise InvalidInput(f"not a {field[:-3]} of this grid", {field: ["not in this grid"]})


def revoke_grid_role(tx, actor_id, grid_id, person_id, role):
    actor = Actor(tx.session, actor_id)
    grid = get_one(tx.session, Grid, grid_id, "grid")
    actor.require(actor.is_community_admin(grid.community_id), "revoke roles in this grid")
    held = tx.session.scalars(
        select(GridRole).where(
            GridRole.grid_id == grid.id, GridRole.person_id == person_id, GridRole.role == role
        )
    ).all()
    if not held:
        raise NotFound(f"the person does not hold {role} in this grid")
    for assignment in held:  # a building head of two buildings steps down from both
        tx.session.delete(assignment)
    tx.publish(
        "role_revoked",
        {
            "grid_id": grid.id,
            "community_id": grid.community_id,
            "person_id": person_id,
            "role": role,
        },
    )
    return {"grid_id": grid.id, "person_id": person_id, "role": role}


def grant_admin_role(tx, actor_id, community_id, data):
    data = load(contract.AdminRoleIn, data)
    actor = Actor(tx.session, actor_id)
    get_one(tx.session, Community, community_id, "community")
    actor.require(actor.is_community_admin(community_id), "grant roles in this community")
    get_one(tx.session, Person, data["person_id"], "person")
    _unique(
        tx,
        AdminRole,
        "the person already holds this role here",
        person_id=data["person_id"],
        role=data["role"],
        community_id=community_id,
    )
    tx.session.add(
        AdminRole(person_id=data["person_id"], role=data["role"], community_id=community_id)
    )
    tx.flush()
    return {
        "person_id": data["person_id"],
        "role": data["role"],
        "community_id": community_id,
        "street_id": None,
    }


def grant_street_admin(tx, person_id, street_id):
    tx.session.add(AdminRole(person_id=person_id, role="street_admin", street_id=street_id))
    tx.flush()


# -- scopes and statistics ---------------------------------------------------

SCOPE_COLUMNS = {"grid": Building.grid_id, "estate": Building.estate_id, "building": Building.id}
SCOPE_MODELS = {"grid": Grid, "estate": Estate, "building": Building}


def residents_in_scope(tx, scope, scope_id, community_id):
    """The people living in a grid, estate or building of the community (who may vote
    there), with the community the scope lies in. A scope that does not exist and one of
    another community are refused alike: the caller learns nothing of other communities."""
    if scope not in SCOPE_COLUMNS:
        raise InvalidInput(
            "scope is grid, estate or building", {"scope": [f"one of {contract.SCOPES}"]}
        )
    if _community_of_scope(tx.session, scope, scope_id) != community_id:
        raise NotFound(
            f"no {scope} {scope_id} in this community", {"scope_id": ["not in this community"]}
        )
    residents = tx.session.scalars(
        select(Person.id)
        .join(Household, Person.household_id == Household.id)
        .join(Unit, Household.unit_id == Unit.id)
        .join(Building, Unit.building_id == Building.id)
        .where(SCOPE_COLUMNS[scope] == scope_id)
        .order_by(Person.id)
    )
    return {
        "scope": scope,
        "scope_id": scope_id,
        "community_id": community_id,
        "residents": list(residents),
    }


def _community_of_scope(session, scope, scope_id):
    place = session.get(SCOPE_MODELS[scope], scope_id) if scope_id else None
    if place is None:
        return None
    if scope == "building":
        place = session.get(Grid, place.grid_id)
    return place.community_id


def community_tree(tx, actor_id, community_id):
    """The community's places down to units, with how many households each unit has,
    and its grids with their staff: a fixed handful of queries, whatever the size."""
    actor = Actor(tx.session, actor_id)
    community = get_one(tx.session, Community, community_id, "community")
    actor.require(actor.in_community(community.id), "see this community's places")
    estate_ids = select(Estate.id).where(Estate.community_id == community.id)
    building_ids = select(Building.id).where(Building.estate_id.in_(estate_ids))
    estates = tx.session.scalars(select(Estate).where(Estate.community_id == community.id)).all()
    buildings = tx.session.scalars(select(Building).where(Building.estate_id.in_(estate_ids))).all()
    units = tx.session.execute(
        select(Unit.id, Unit.name, Unit.building_id, func.count(Household.id))
        .outerjoin(Household, Household.unit_id == Unit.id)
        .where(Unit.building_id.in_(building_ids))
        .group_by(Unit.id, Unit.name, Unit.building_id)
    ).all()
    grids = tx.session.scalars(select(Grid).where(Grid.community_id == community.id)).all()
    staff = _staff_of_grids(tx.session, [g.id for g in grids], actor)

    units_of = {}
    for unit_id, name, building_id, households in units:
        units_of.setdefault(building_id, []).append(
            {"id": unit_id, "name": name, "households": households}
        )
    buildings_of = {}
    for b in buildings:
        buildings_of.setdefault(b.estate_id, []).append(
            {
                "id": b.id,
                "name": b.name,
                "grid_id": b.grid_id,
                "units": _by_name(units_of.get(b.id, [])),
            }
        )
    return {
        "community": {"id": community.id, "name": community.name},
        "estates": _by_name(
            {"id": e.id, "name": e.name, "buildings": _by_name(buildings_of.get(e.id, []))}
            for e in estates
        ),
        "grids": _by_name({"id": g.id, "name": g.name, "staff": staff[g.id]} for g in grids),
    }


def unit_households(tx, actor_id, unit_id):
    """The households of a unit and who lives in each (phones masked per person)."""
    actor = Actor(tx.session, actor_id)
    unit = get_one(tx.session, Unit, unit_id, "unit")
    grid = tx.session.get(Grid, tx.session.get(Building, unit.building_id).grid_id)
    actor.require(actor.is_grid_staff(grid.id), "see this unit's households")
    households = tx.session.scalars(select(Household).where(Household.unit_id == unit.id)).all()
    people = tx.session.scalars(
        select(Person)
        .where(Person.household_id.in_(select(Household.id).where(Household.unit_id == unit.id)))
        .order_by(Person.name, Person.id)
    ).all()
    living = {}
    for person in people:
        living.setdefault(person.household_id, []).append(
            _person_view(person, _sees_phone(actor, person, grid))
        )
    return _by_name(
        (
            {"id": h.id, "number": h.number, "kind": h.kind, "people": living.get(h.id, [])}
            for h in households
        ),
        key="number",
    )


def search_people(tx, actor_id, community_id, query):
    """People of a community whose name holds `q`, or whose phone is `q` typed whole:
    those living in its grids, and those holding a grid or admin role in it (to pick
    an assignee). Never a part of a phone: most callers see phones masked."""
    query = load(contract.PeopleQuery, query or {})
    actor = Actor(tx.session, actor_id)
    get_one(tx.session, Community, community_id, "community")
    actor.require(actor.in_community(community_id), "look up this community's people")
    grids = select(Grid.id).where(Grid.community_id == community_id)
    staff = select(GridRole.person_id).where(GridRole.grid_id.in_(grids))
    admins = select(AdminRole.person_id).where(AdminRole.community_id == community_id)
    q = query["q"]
    matches = [Person.name.contains(q, autoescape=True)]
    phone = domain.whole_phone(q)
    if phone:
        matches.append(Person.phone == phone)
    rows = tx.session.execute(
        select(Person, Grid)
        .outerjoin(Household, Person.household_id == Household.id)
        .outerjoin(Unit, Household.unit_id == Unit.id)
        .outerjoin(Building, Unit.building_id == Building.id)
        .outerjoin(Grid, Building.grid_id == Grid.id)
        .where(
            or_(Grid.community_id == community_id, Person.id.in_(staff), Person.id.in_(admins)),
            or_(*matches),
        )
        .order_by(Person.name, Person.id)
        .limit(query["limit"])
    ).all()
    return [
        {
            **_person_view(person, _sees_phone(actor, person, grid)),
            "grid_id": grid.id if grid else None,
        }
        for person, grid in rows
    ]


def coverage(tx, actor_id, community_id):
    actor = Actor(tx.session, actor_id)
    get_one(tx.session, Community, community_id, "community")
    actor.require(actor.in_community(community_id), "see this community's statistics")
    grids = select(Grid.id).where(Grid.community_id == community_id)
    buildings = select(Building.id).where(Building.grid_id.in_(grids))
    households = select(Household.id).join(Unit).where(Unit.building_id.in_(buildings))
    residents = select(Person.id).where(Person.household_id.in_(households))

    def count(stmt):
        return select(func.count()).select_from(stmt.subquery()).scalar_subquery()

    def count_distinct(column, *where):
        return select(func.count(distinct(column))).where(*where).scalar_subquery()

    # every count in one statement: one round trip to the database, not twelve
    # (the dashboard waits for this; found by `make bench`)
    counts = tx.session.execute(
        select(
            count(select(Estate.id).where(Estate.community_id == community_id)).label("estates"),
            count(grids).label("grids"),
            count(
                select(GridRole.grid_id).where(
                    GridRole.grid_id.in_(grids), GridRole.role == "grid_worker"
                )
            ).label("grids_with_worker"),
            count(buildings).label("buildings"),
            count_distinct(
                GridRole.scope_id,
                GridRole.role == "building_head",
                GridRole.scope_id.in_(buildings),
            ).label("buildings_with_head"),
            count(households).label("households"),
            count(households.where(Household.kind == "shop")).label("shops"),
            count_distinct(Person.household_id, Person.household_id.in_(households)).label(
                "households_with_residents"
            ),
            count(residents).label("residents"),
            count(residents.where(Person.party_membership.is_not(None))).label("party_members"),
            count_distinct(
                Visit.household_id,
                Visit.household_id.in_(households),
                Visit.visited_at >= utcnow() - timedelta(days=30),
            ).label("households_visited_30d"),
        )
    ).one()
    household_total, visited = counts.households, counts.households_visited_30d
    return {
        "community_id": community_id,
        **counts._asdict(),
        "visit_coverage_30d": round(visited / household_total, 4) if household_total else 0.0,
    }


# -- party organisation --------------------------------------------------------


def _party_org_view(org, members=None, children=None):
    view = {
        c: getattr(org, c)
        for c in (
            "id",
            "community_id",
            "parent_id",
            "kind",
            "name",
            "focus",
            "grid_id",
            "building_id",
            "household_id",
        )
    }
    if members is not None:
        view["members"] = members
    if children is not None:
        view["children"] = children
    return view


def create_party_org(tx, actor_id, data):
    data = load(contract.PartyOrgIn, data)
    actor = Actor(tx.session, actor_id)
    get_one(tx.session, Community, data["community_id"], "community")
    actor.require(
        actor.is_community_admin(data["community_id"]), "shape this community's party organisation"
    )
    parent = (
        get_one(tx.session, PartyOrg, data["parent_id"], "party organisation")
        if data["parent_id"]
        else None
    )
    if parent is not None and parent.community_id != data["community_id"]:
        raise InvalidInput(
            "the parent is in another community", {"parent_id": ["another community"]}
        )
    domain.check_party_parent(data["kind"], parent.kind if parent else None)
    if data["kind"] == "community_committee":
        _unique(
            tx,
            PartyOrg,
            "the community already has a party committee",
            community_id=data["community_id"],
            kind="community_committee",
        )
    for field, model, what in (
        ("grid_id", Grid, "grid"),
        ("building_id", Building, "building"),
        ("household_id", Household, "household"),
    ):
        if data[field]:
            get_one(tx.session, model, data[field], what)
    org = PartyOrg(**data)
    tx.session.add(org)
    tx.flush()
    return _party_org_view(org)


def add_party_org_member(tx, actor_id, org_id, data):
    data = load(contract.PartyOrgMemberIn, data)
    actor = Actor(tx.session, actor_id)
    org = get_one(tx.session, PartyOrg, org_id, "party organisation")
    actor.require(actor.is_community_admin(org.community_id), "change this party organisation")
    person = get_one(tx.session, Person, data["person_id"], "person")
    if person.party_membership is None:
        raise InvalidInput(
            "only party members join a party organisation", {"person_id": ["not a party member"]}
        )
    _unique(
        tx, PartyOrgMember, "the person is already a member", org_id=org.id, person_id=person.id
    )
    tx.session.add(PartyOrgMember(org_id=org.id, person_id=person.id, role=data["role"]))
    tx.flush()
    return {"org_id": org.id, "person_id": person.id, "role": data["role"]}


def party_tree(tx, actor_id, community_id):
    actor = Actor(tx.session, actor_id)
    get_one(tx.session, Community, community_id, "community")
    actor.require(actor.in_community(community_id), "see this community's party organisation")
    orgs = tx.session.scalars(select(PartyOrg).where(PartyOrg.community_id == community_id)).all()
    members = {}
    for member, person in tx.session.execute(
        select(PartyOrgMember, Person)
        .join(Person, PartyOrgMember.person_id == Person.id)
        .where(PartyOrgMember.org_id.in_([o.id for o in orgs]))
    ):
        members.setdefault(member.org_id, []).append(
            {"person_id": person.id, "name": person.name, "role": member.role}
        )
    children = {}
    for org in orgs:
        children.setdefault(org.parent_id, []).append(org)

    def build(org):
        return _party_org_view(
            org, members.get(org.id, []), [build(child) for child in children.get(org.id, [])]
        )

    return [build(root) for root in children.get(None, [])]


# -- member organisations and the 双月轮值 roster ------------------------------


def create_member_org(tx, actor_id, data):
    return _create_in_community(
        tx, actor_id, MemberOrganisation, load(contract.MemberOrgIn, data), "member organisation"
    )


def list_member_orgs(tx, actor_id, community_id):
    actor = Actor(tx.session, actor_id)
    get_one(tx.session, Community, community_id, "community")
    actor.require(actor.in_community(community_id), "see this community's member organisations")
    orgs = tx.session.scalars(
        select(MemberOrganisation).where(MemberOrganisation.community_id == community_id)
    )
    return _by_name(
        {"id": o.id, "community_id": o.community_id, "name": o.name, "kind": o.kind} for o in orgs
    )


def set_duty_roster(tx, actor_id, community_id, year, data):
    data = load(contract.DutyRosterIn, data)
    actor = Actor(tx.session, actor_id)
    get_one(tx.session, Community, community_id, "community")
    actor.require(actor.is_community_admin(community_id), "set this community's duty roster")
    ids = data["member_org_ids"]
    domain.check_duty_roster(ids)
    found = set(
        tx.session.scalars(
            select(MemberOrganisation.id).where(
                MemberOrganisation.id.in_(ids), MemberOrganisation.community_id == community_id
            )
        )
    )
    missing = [i for i in ids if i not in found]
    if missing:
        raise InvalidInput(
            "not member organisations of this community",
            {"member_org_ids": [f"unknown: {', '.join(missing)}"]},
        )
    for old in tx.session.scalars(
        select(DutySlot).where(DutySlot.community_id == community_id, DutySlot.year == year)
    ):
        tx.session.delete(old)
    tx.flush()
    for slot, member_org_id in enumerate(ids, start=1):
        tx.session.add(
            DutySlot(community_id=community_id, year=year, slot=slot, member_org_id=member_org_id)
        )
    tx.flush()
    return duty_roster(tx, actor_id, community_id, year)


def duty_roster(tx, actor_id, community_id, year):
    actor = Actor(tx.session, actor_id)
    get_one(tx.session, Community, community_id, "community")
    actor.require(actor.in_community(community_id), "see this community's duty roster")
    rows = tx.session.execute(
        select(DutySlot, MemberOrganisation)
        .join(MemberOrganisation, DutySlot.member_org_id == MemberOrganisation.id)
        .where(DutySlot.community_id == community_id, DutySlot.year == year)
        .order_by(DutySlot.slot)
    ).all()
    return {
        "community_id": community_id,
        "year": year,
        "slots": [
            {
                "slot": slot.slot,
                "months": domain.duty_months(slot.slot),
                "member_org_id": org.id,
                "member_org_name": org.name,
            }
            for slot, org in rows
        ],
    }


# -- visits --------------------------------------------------------------------


def log_visit(tx, actor_id, data):
    data = load(contract.VisitIn, data)
    actor = Actor(tx.session, actor_id)
    household, _, _, _, grid = household_place(tx.session, data["household_id"])
    # 党员联系群众: party members visit households of their own community too.
    own_grid = _grid_of_person(tx.session, actor.person)
    party_member_here = (
        actor.person.party_membership is not None
        and own_grid is not None
        and own_grid.community_id == grid.community_id
    )
    actor.require(actor.is_grid_staff(grid.id) or party_member_here, "log visits to this household")
    visited_at = (data["visited_at"] or utcnow()).astimezone(UTC)
    if visited_at > utcnow() + timedelta(minutes=5):
        raise InvalidInput("a visit cannot be in the future", {"visited_at": ["in the future"]})
    visit = Visit(
        visitor_id=actor.id, household_id=household.id, visited_at=visited_at, notes=data["notes"]
    )
    tx.session.add(visit)
    tx.flush()
    tx.publish(
        "visit_logged",
        {
            "visit_id": visit.id,
            "visitor_id": actor.id,
            "household_id": household.id,
            "grid_id": grid.id,
            "visited_at": visited_at.isoformat(),
        },
    )
    return _visit_view(visit)


def _visit_view(visit):
    return {
        "id": visit.id,
        "visitor_id": visit.visitor_id,
        "household_id": visit.household_id,
        "visited_at": visit.visited_at.isoformat(),
        "notes": visit.notes,
    }


def list_visits(tx, actor_id, household_id, query=None):
    """Newest first, a page at a time."""
    query = load(PageQuery, query or {})
    actor = Actor(tx.session, actor_id)
    household, _, _, _, grid = household_place(tx.session, household_id)
    actor.require(actor.is_grid_staff(grid.id), "see visits to this household")
    stmt = select(Visit).where(Visit.household_id == household.id)
    order = [Visit.visited_at, Visit.id]
    visits, next_cursor = keyset_page(tx.session, stmt, order, query, descending=True)
    return {"items": [_visit_view(v) for v in visits], "next_cursor": next_cursor}


def list_grids(tx, actor_id, community_id):
    actor = Actor(tx.session, actor_id)
    get_one(tx.session, Community, community_id, "community")
    actor.require(actor.in_community(community_id), "see this community's grids")
    grids = tx.session.scalars(
        select(Grid).where(Grid.community_id == community_id).order_by(Grid.name)
    )
    return [_grid_view(g) for g in grids]
