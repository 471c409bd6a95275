"""Routes of the grid: people, places, roles, party organisation, visits."""

from yzw_kernel.contracts import grid as g
from yzw_kernel.contracts.paging import PageQuery
from yzw_kernel.validation import load

from .http import (
    api,
    body_as_sent,
    client_address,
    header_parameter,
    query_as_sent,
    year_from_path,
)
from .schemas import LoginOut

X_DEVICE = header_parameter(
    "X-Device",
    "the `device` token of an earlier successful login on this device: a known device "
    "(or address) is not slowed by other people's failed logins for this phone",
    max_length=g.DEVICE_MAX_LENGTH,
)


class GridRoutes:
    # -- people and sessions ---------------------------------------------------

    @api(
        "POST",
        "/auth/login",
        summary="Log in with phone and password",
        tag="auth",
        body=g.LoginIn,
        response=LoginOut,
        auth=False,
        errors=(401, 429),
        parameters=[X_DEVICE],
    )
    def login(self, request, principal, body):
        device = load(g.LoginDeviceIn, {"X-Device": request.headers.get("X-Device")})["device"]
        answer = self.grid.authenticate(
            body["phone"], body["password"], client_address(request, self.config), device
        )
        return {"token": self.tokens.issue(answer["person"]["id"]), **answer}

    @api(
        "GET",
        "/me",
        summary="Who I am: person, roles, household, grid and its staff, "
        "and the communities and grids where I work",
        tag="people",
        audience="signed_in",
        response=g.MeOut,
    )
    def me(self, request, principal, body):
        return self.grid.me(principal)

    @api(
        "POST",
        "/people",
        summary="Register a person (staff of the household's grid)",
        tag="people",
        body=g.PersonIn,
        response=g.PersonOut,
        status=201,
        errors=(404, 409),
    )
    def register_person(self, request, principal, body):
        return self.grid.register_person(principal, body_as_sent(request))

    @api(
        "GET",
        "/people/{person_id}",
        summary="A person's record (phone masked unless yours or your grid's)",
        tag="people",
        audience="signed_in",
        response=g.PersonOut,
    )
    def get_person(self, request, principal, body, person_id):
        return self.grid.get_person(principal, person_id)

    # -- places --------------------------------------------------------------

    @api(
        "POST",
        "/communities",
        summary="Create a community (street admin)",
        tag="places",
        body=g.CommunityIn,
        response=g.PlaceOut,
        status=201,
        errors=(404, 409),
    )
    def create_community(self, request, principal, body):
        return self.grid.create_community(principal, body_as_sent(request))

    @api(
        "GET",
        "/communities/{community_id}",
        summary="A community, its street and what the levels are called there",
        tag="places",
        response=g.CommunityOut,
    )
    def get_community(self, request, principal, body, community_id):
        return self.grid.get_community(principal, community_id)

    @api(
        "PUT",
        "/streets/{street_id}/level-names",
        summary="Rename the levels for a street (rural: 镇, 村, 村民小组...)",
        tag="places",
        body=g.LevelNamesIn,
        response=g.StreetOut,
    )
    def set_level_names(self, request, principal, body, street_id):
        return self.grid.set_level_names(principal, street_id, body_as_sent(request))

    @api(
        "POST",
        "/streets/{street_id}/departments",
        summary="Register a department 职能部门 of the street, a target of dispatch (street admin)",
        tag="places",
        body=g.DepartmentIn,
        response=g.DepartmentOut,
        status=201,
        errors=(404, 409),
    )
    def register_department(self, request, principal, body, street_id):
        return self.grid.register_department(principal, street_id, body_as_sent(request))

    @api(
        "GET",
        "/streets/{street_id}/departments",
        summary="The street's departments by name (the staff of the street and its communities)",
        tag="places",
        response=g.DepartmentOut,
        many=True,
    )
    def list_departments(self, request, principal, body, street_id):
        return self.grid.list_departments(principal, street_id)

    @api(
        "POST",
        "/estates",
        summary="Create an estate 小区",
        tag="places",
        body=g.EstateIn,
        response=g.PlaceOut,
        status=201,
        errors=(404, 409),
    )
    def create_estate(self, request, principal, body):
        return self.grid.create_estate(principal, body_as_sent(request))

    @api(
        "POST",
        "/grids",
        summary="Create a grid 网格",
        tag="places",
        body=g.GridIn,
        response=g.PlaceOut,
        status=201,
        errors=(404, 409),
    )
    def create_grid(self, request, principal, body):
        return self.grid.create_grid(principal, body_as_sent(request))

    @api(
        "POST",
        "/buildings",
        summary="Create a building 楼栋 in an estate and a grid",
        tag="places",
        body=g.BuildingIn,
        response=g.PlaceOut,
        status=201,
        errors=(404, 409),
    )
    def create_building(self, request, principal, body):
        return self.grid.create_building(principal, body_as_sent(request))

    @api(
        "POST",
        "/units",
        summary="Create a unit 单元",
        tag="places",
        body=g.UnitIn,
        response=g.PlaceOut,
        status=201,
        errors=(404, 409),
    )
    def create_unit(self, request, principal, body):
        return self.grid.create_unit(principal, body_as_sent(request))

    @api(
        "POST",
        "/households",
        summary="Create a household 户 (home or shop)",
        tag="places",
        body=g.HouseholdIn,
        response=g.PlaceOut,
        status=201,
        errors=(404, 409),
    )
    def create_household(self, request, principal, body):
        return self.grid.create_household(principal, body_as_sent(request))

    @api(
        "GET",
        "/households/{household_id}/locate",
        summary="Which grid serves a household, and its responsible people",
        tag="places",
        audience="signed_in",
        response=g.LocateOut,
    )
    def locate(self, request, principal, body, household_id):
        return self.grid.locate(household_id, principal)

    @api(
        "GET",
        "/communities/{community_id}/grids",
        summary="The grids of a community",
        tag="places",
        response=g.GridOut,
        many=True,
    )
    def list_grids(self, request, principal, body, community_id):
        return self.grid.list_grids(principal, community_id)

    @api(
        "GET",
        "/communities/{community_id}/coverage",
        summary="Coverage statistics of a community",
        tag="places",
        response=g.CoverageOut,
    )
    def coverage(self, request, principal, body, community_id):
        return self.grid.coverage(principal, community_id)

    @api(
        "GET",
        "/communities/{community_id}/tree",
        summary="A community's estates, buildings and units with household counts, "
        "and its grids with their staff (the community's staff)",
        tag="places",
        audience="staff",
        response=g.CommunityTreeOut,
    )
    def community_tree(self, request, principal, body, community_id):
        return self.grid.community_tree(principal, community_id)

    @api(
        "GET",
        "/units/{unit_id}/households",
        summary="The households of a unit and who lives in each (the grid's staff)",
        tag="places",
        audience="staff",
        response=g.UnitHouseholdOut,
        many=True,
    )
    def unit_households(self, request, principal, body, unit_id):
        return self.grid.unit_households(principal, unit_id)

    @api(
        "GET",
        "/communities/{community_id}/people",
        summary="Find people of a community by name or whole phone number, to pick an assignee",
        tag="people",
        query=g.PeopleQuery,
        audience="staff",
        response=g.PersonMatchOut,
        many=True,
    )
    def search_people(self, request, principal, body, community_id):
        return self.grid.search_people(principal, community_id, query_as_sent(request))

    # -- roles ---------------------------------------------------------------

    @api(
        "POST",
        "/grids/{grid_id}/roles",
        summary="Give a person a role in a grid",
        tag="roles",
        body=g.GridRoleIn,
        response=g.GridRoleOut,
        status=201,
        errors=(409,),
    )
    def assign_role(self, request, principal, body, grid_id):
        return self.grid.assign_grid_role(principal, grid_id, body_as_sent(request))

    @api(
        "DELETE",
        "/grids/{grid_id}/roles/{person_id}/{role}",
        summary="Take a role away",
        tag="roles",
        response=g.GridRoleOut,
    )
    def revoke_role(self, request, principal, body, grid_id, person_id, role):
        return self.grid.revoke_grid_role(principal, grid_id, person_id, role)

    @api(
        "POST",
        "/communities/{community_id}/admins",
        summary="Make a person community admin or treasurer",
        tag="roles",
        body=g.AdminRoleIn,
        response=g.AdminRoleOut,
        status=201,
        errors=(409,),
    )
    def grant_admin(self, request, principal, body, community_id):
        return self.grid.grant_admin_role(principal, community_id, body_as_sent(request))

    # -- party organisation and member organisations ---------------------------

    @api(
        "POST",
        "/party-orgs",
        summary="Add a party organisation to the tree",
        tag="party",
        body=g.PartyOrgIn,
        response=g.PartyOrgOut,
        status=201,
        errors=(404, 409),
    )
    def create_party_org(self, request, principal, body):
        return self.grid.create_party_org(principal, body_as_sent(request))

    @api(
        "POST",
        "/party-orgs/{org_id}/members",
        summary="Add a party member to an organisation",
        tag="party",
        body=g.PartyOrgMemberIn,
        status=201,
        errors=(409,),
    )
    def add_party_org_member(self, request, principal, body, org_id):
        return self.grid.add_party_org_member(principal, org_id, body_as_sent(request))

    @api(
        "GET",
        "/communities/{community_id}/party-orgs",
        summary="The community's party tree",
        tag="party",
        response=g.PartyOrgOut,
        many=True,
    )
    def party_tree(self, request, principal, body, community_id):
        return self.grid.party_tree(principal, community_id)

    @api(
        "POST",
        "/member-orgs",
        summary="Register a member organisation 共建单位",
        tag="party",
        body=g.MemberOrgIn,
        response=g.PlaceOut,
        status=201,
        errors=(404, 409),
    )
    def create_member_org(self, request, principal, body):
        return self.grid.create_member_org(principal, body_as_sent(request))

    @api(
        "GET",
        "/communities/{community_id}/member-orgs",
        summary="The community's member organisations 共建单位",
        tag="party",
        audience="staff",
        response=g.MemberOrgOut,
        many=True,
    )
    def list_member_orgs(self, request, principal, body, community_id):
        return self.grid.list_member_orgs(principal, community_id)

    @api(
        "PUT",
        "/communities/{community_id}/duty-roster/{year}",
        summary="Set the year's 双月轮值 roster: six member organisations, two months each",
        tag="party",
        body=g.DutyRosterIn,
        response=g.DutyRosterOut,
    )
    def set_duty_roster(self, request, principal, body, community_id, year):
        return self.grid.set_duty_roster(
            principal, community_id, year_from_path(year), body_as_sent(request)
        )

    @api(
        "GET",
        "/communities/{community_id}/duty-roster/{year}",
        summary="The year's duty roster",
        tag="party",
        response=g.DutyRosterOut,
    )
    def duty_roster(self, request, principal, body, community_id, year):
        return self.grid.duty_roster(principal, community_id, year_from_path(year))

    # -- visits --------------------------------------------------------------

    @api(
        "POST",
        "/visits",
        summary="Log a door-to-door visit 入户走访",
        tag="visits",
        body=g.VisitIn,
        response=g.VisitOut,
        status=201,
        errors=(404,),
    )
    def log_visit(self, request, principal, body):
        return self.grid.log_visit(principal, body_as_sent(request))

    @api(
        "GET",
        "/households/{household_id}/visits",
        summary="Visits to a household, newest first, by cursor",
        tag="visits",
        query=PageQuery,
        response=g.VisitPageOut,
    )
    def list_visits(self, request, principal, body, household_id):
        return self.grid.list_visits(principal, household_id, query_as_sent(request))
