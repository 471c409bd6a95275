"""The grid service's RPC contract: what it takes and what it gives back.

The gateway validates HTTP bodies with the same schemas the service checks
again at its RPC boundary, and documents them in the OpenAPI document.
"""

from marshmallow import Schema, fields, validate

from ..validation import Int, JsonBoolean, NameOrPhone, Phone, String, Time
from .paging import MAX_PAGE, page_of

HOUSEHOLD_KINDS = ("home", "shop")
PERSON_KINDS = ("resident", "social_worker", "department_staff")
PARTY_MEMBERSHIPS = ("registered", "reporting")  # 在册, 报到
GRID_ROLES = (
    "grid_worker",  # A: 专职网格员, exactly one per grid
    "building_head",  # B: 楼栋长
    "unit_head",  # B: 单元长
    "grid_leader",  # C: 网格长, one person across many grids
    "department_member",  # 部门网格员
    "party_liaison",  # 党员联络员
    "red_steward",  # 红管家
    "central_household",  # 党员中心户
)
COMMUNITY_ADMIN_ROLES = ("community_admin", "treasurer")
PARTY_ORG_KINDS = (
    "community_committee",  # 社区党委
    "grid_branch",  # 网格党支部
    "building_group",  # 楼栋党小组
    "central_household",  # 党员中心户
    "functional_branch",  # 功能型党支部: 志愿服务, 文体曲艺, 同心
    "action_group",  # 行动党小组: 和事佬, 平安灯, 文明停车...
)
MEMBER_ORG_KINDS = ("enterprise", "institution", "social_organisation", "shop", "property_company")
SCOPES = ("grid", "estate", "building")


def Name():
    return String(required=True, validate=validate.Length(min=1, max=100))


def Id():
    return String(required=True, validate=validate.Length(min=1, max=36))


class CommunityIn(Schema):
    name = Name()
    street = String(
        load_default=None, metadata={"description": "street id; defaults to the caller's street"}
    )


LEVELS = ("street", "community", "estate", "grid", "building", "unit", "household")


class LevelNamesIn(Schema):
    level_names = fields.Dict(
        required=True,
        keys=String(validate=validate.OneOf(LEVELS)),
        values=String(validate=validate.Length(min=1, max=20)),
        metadata={"description": 'e.g. {"community": "村", "grid": "村民小组"}'},
    )


class CommunityOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    street_id = fields.String(required=True)
    street_name = fields.String(required=True)
    level_names = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class StreetOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    level_names = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class DepartmentIn(Schema):
    """A department 职能部门 of the street: 街道吹哨、部门报到."""

    name = Name()


class DepartmentOut(Schema):
    id = fields.String(required=True)
    street_id = fields.String(required=True)
    name = fields.String(required=True)
    created_at = fields.String(required=True)


class EstateIn(Schema):
    community_id = Id()
    name = Name()


class GridIn(Schema):
    community_id = Id()
    name = Name()


class BuildingIn(Schema):
    estate_id = Id()
    grid_id = Id()
    name = Name()


class UnitIn(Schema):
    building_id = Id()
    name = Name()


class HouseholdIn(Schema):
    unit_id = Id()
    number = String(required=True, validate=validate.Length(min=1, max=50))
    kind = String(load_default="home", validate=validate.OneOf(HOUSEHOLD_KINDS))


class PlaceOut(Schema):
    id = fields.String(required=True)
    name = fields.String()
    number = fields.String()
    kind = fields.String()
    street_id = fields.String()
    community_id = fields.String()
    estate_id = fields.String()
    grid_id = fields.String()
    building_id = fields.String()
    unit_id = fields.String()


class PersonIn(Schema):
    name = Name()
    phone = Phone(required=True)
    password = String(required=True, load_only=True, validate=validate.Length(min=8, max=128))
    household_id = String(load_default=None, validate=validate.Length(max=36))
    kind = String(load_default="resident", validate=validate.OneOf(PERSON_KINDS))
    party_member = JsonBoolean(load_default=False)
    party_membership = String(
        load_default=None,
        validate=validate.OneOf(PARTY_MEMBERSHIPS),
        metadata={"description": "registered (在册) or reporting (报到); default registered"},
    )
    employer = String(load_default=None, validate=validate.Length(max=200))


class PersonOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    phone = fields.String(
        required=True,
        metadata={"description": "masked unless you are the person or their grid staff"},
    )
    household_id = fields.String(allow_none=True)
    kind = fields.String()
    party_member = fields.Boolean()
    party_membership = fields.String(allow_none=True)
    employer = fields.String(allow_none=True)


class LoginIn(Schema):
    phone = Phone(required=True)
    password = String(required=True, load_only=True, validate=validate.Length(min=1, max=128))


DEVICE_MAX_LENGTH = 64


class LoginDeviceIn(Schema):
    """The device token an earlier successful login gave this client, sent back in
    the `X-Device` header: a known device is not slowed by its phone's failed logins."""

    device = fields.String(
        data_key="X-Device",
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=DEVICE_MAX_LENGTH),
    )


class GridRoleIn(Schema):
    person_id = Id()
    role = String(required=True, validate=validate.OneOf(GRID_ROLES))
    building_id = String(
        load_default=None, metadata={"description": "required for building_head: the building"}
    )
    unit_id = String(
        load_default=None, metadata={"description": "required for unit_head: the unit"}
    )


class GridRoleOut(Schema):
    grid_id = fields.String(required=True)
    person_id = fields.String(required=True)
    role = fields.String(required=True)
    building_id = fields.String(allow_none=True)
    unit_id = fields.String(allow_none=True)


class AdminRoleIn(Schema):
    person_id = Id()
    role = String(required=True, validate=validate.OneOf(COMMUNITY_ADMIN_ROLES))


class AdminRoleOut(Schema):
    person_id = fields.String(required=True)
    role = fields.String(required=True)
    community_id = fields.String(allow_none=True)
    street_id = fields.String(allow_none=True)


class StaffOut(Schema):
    person_id = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    phone = fields.String(required=True)
    building_id = fields.String(allow_none=True)
    unit_id = fields.String(allow_none=True)


class HouseholdOut(Schema):
    id = fields.String(required=True)
    number = fields.String()
    kind = fields.String()
    unit = fields.Nested(PlaceOut)
    building = fields.Nested(PlaceOut)
    estate = fields.Nested(PlaceOut)


class GridOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    community_id = fields.String(required=True)
    street_id = fields.String()


class LocateOut(Schema):
    household = fields.Nested(HouseholdOut, required=True)
    grid = fields.Nested(GridOut, required=True)
    grid_staff = fields.List(fields.Nested(StaffOut), required=True)


class MyCommunityOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    roles = fields.List(
        fields.String(),
        required=True,
        metadata={
            "description": "the roles I hold there, sorted: community_admin, treasurer, "
            "grid_worker...; street_admin in every community of my street"
        },
    )


class MyGridOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    community_id = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)


class MeOut(Schema):
    person = fields.Nested(PersonOut, required=True)
    roles = fields.List(fields.String(), required=True)
    household = fields.Nested(HouseholdOut, allow_none=True)
    grid = fields.Nested(GridOut, allow_none=True)
    grid_staff = fields.List(fields.Nested(StaffOut), required=True)
    communities = fields.List(
        fields.Nested(MyCommunityOut),
        required=True,
        metadata={"description": "where I work: communities I administer or hold a grid role in"},
    )
    staff_grids = fields.List(
        fields.Nested(MyGridOut),
        required=True,
        metadata={"description": "the grids where I hold a role"},
    )


class PlaceRefOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class UnitTreeOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    households = fields.Integer(required=True, metadata={"description": "how many households"})


class BuildingTreeOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    grid_id = fields.String(required=True)
    units = fields.List(fields.Nested(UnitTreeOut), required=True)


class EstateTreeOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    buildings = fields.List(fields.Nested(BuildingTreeOut), required=True)


class GridWithStaffOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    staff = fields.List(fields.Nested(StaffOut), required=True)


class CommunityTreeOut(Schema):
    community = fields.Nested(PlaceRefOut, required=True)
    estates = fields.List(fields.Nested(EstateTreeOut), required=True)
    grids = fields.List(fields.Nested(GridWithStaffOut), required=True)


class OccupantOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    phone = fields.String(
        required=True,
        metadata={"description": "masked unless you are the person or their grid staff"},
    )
    party_member = fields.Boolean(required=True)
    kind = fields.String(required=True)


class UnitHouseholdOut(Schema):
    id = fields.String(required=True)
    number = fields.String(required=True)
    kind = fields.String(required=True)
    people = fields.List(fields.Nested(OccupantOut), required=True)


class PeopleQuery(Schema):
    q = NameOrPhone(
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "part of a name, or a whole phone number"},
    )
    limit = Int(
        1,
        50,
        strict=False,
        load_default=20,
        metadata={"description": "at most this many people, at most 50"},
    )


class PersonMatchOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    phone = fields.String(
        required=True,
        metadata={"description": "masked unless you are the person or their grid staff"},
    )
    party_member = fields.Boolean(required=True)
    household_id = fields.String(required=True, allow_none=True)
    grid_id = fields.String(
        required=True, allow_none=True, metadata={"description": "the grid of their household"}
    )


class PartyOrgIn(Schema):
    community_id = Id()
    kind = String(required=True, validate=validate.OneOf(PARTY_ORG_KINDS))
    name = Name()
    parent_id = String(load_default=None)
    focus = String(load_default=None, validate=validate.Length(max=50))
    grid_id = String(load_default=None)
    building_id = String(load_default=None)
    household_id = String(load_default=None)


class PartyOrgMemberIn(Schema):
    person_id = Id()
    role = String(load_default="member", validate=validate.OneOf(("secretary", "member")))


class PartyOrgOut(Schema):
    id = fields.String(required=True)
    community_id = fields.String()
    parent_id = fields.String(allow_none=True)
    kind = fields.String()
    name = fields.String()
    focus = fields.String(allow_none=True)
    grid_id = fields.String(allow_none=True)
    building_id = fields.String(allow_none=True)
    household_id = fields.String(allow_none=True)
    members = fields.List(fields.Dict())
    children = fields.List(fields.Dict())


class MemberOrgIn(Schema):
    community_id = Id()
    name = String(required=True, validate=validate.Length(min=1, max=200))
    kind = String(required=True, validate=validate.OneOf(MEMBER_ORG_KINDS))


class MemberOrgOut(Schema):
    id = fields.String(required=True)
    community_id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)


class DutyRosterIn(Schema):
    member_org_ids = fields.List(Id(), required=True, validate=validate.Length(equal=6))


class DutySlotOut(Schema):
    slot = fields.Integer(required=True)
    months = fields.List(fields.Integer(), required=True)
    member_org_id = fields.String(required=True)
    member_org_name = fields.String()


class DutyRosterOut(Schema):
    community_id = fields.String(required=True)
    year = fields.Integer(required=True)
    slots = fields.List(fields.Nested(DutySlotOut), required=True)


class VisitIn(Schema):
    household_id = Id()
    notes = String(multiline=True, load_default="", validate=validate.Length(max=2000))
    visited_at = Time(load_default=None)


class VisitOut(Schema):
    id = fields.String(required=True)
    visitor_id = fields.String(required=True)
    household_id = fields.String(required=True)
    visited_at = fields.String(required=True)
    notes = fields.String()


VisitPageOut = page_of(VisitOut, "VisitPageOut")


class CoverageOut(Schema):
    community_id = fields.String(required=True)
    estates = fields.Integer()
    grids = fields.Integer()
    grids_with_worker = fields.Integer()
    buildings = fields.Integer()
    buildings_with_head = fields.Integer()
    households = fields.Integer()
    shops = fields.Integer()
    households_with_residents = fields.Integer()
    residents = fields.Integer()
    party_members = fields.Integer()
    households_visited_30d = fields.Integer()
    visit_coverage_30d = fields.Float()


class PersonIdsIn(Schema):
    """People named to another service, for grid to say who they are (`principals`)."""

    person_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=36)),
        required=True,
        validate=validate.Length(max=MAX_PAGE),
    )
