"""nameko entrypoints of the grid service: parse, call one use case, return."""

from pathlib import Path

from yzw_kernel.providers import Database, StoreBacked, configured_timer, rpc

from . import app, logins, targets

MIGRATIONS = Path(__file__).parent / "migrations"


class GridService(StoreBacked):
    name = "grid"
    db = Database(MIGRATIONS)
    login_limits = logins.LoginSettings()

    @rpc
    def authenticate(self, phone, password, client_address=None, device=None):
        return logins.authenticate(
            self.db, phone, password, client_address, self.login_limits, device
        )

    @configured_timer("LOGIN_WINDOW_SECONDS", logins.LoginLimits.window_seconds)
    def forget_expired_login_failures(self):
        self._run(logins.forget_expired, self.login_limits)

    @rpc
    def me(self, person_id):
        return self._run(app.me, person_id)

    @rpc
    def principal(self, person_id):
        return self._run(app.principal, person_id)

    @rpc
    def principals(self, person_ids):
        return self._run(app.principals, person_ids)

    @rpc
    def create_community(self, actor_id, data):
        return self._run(app.create_community, actor_id, data)

    @rpc
    def get_community(self, actor_id, community_id):
        return self._run(app.get_community, actor_id, community_id)

    @rpc
    def set_level_names(self, actor_id, street_id, data):
        return self._run(app.set_level_names, actor_id, street_id, data)

    @rpc
    def create_estate(self, actor_id, data):
        return self._run(app.create_estate, actor_id, data)

    @rpc
    def create_grid(self, actor_id, data):
        return self._run(app.create_grid, actor_id, data)

    @rpc
    def create_building(self, actor_id, data):
        return self._run(app.create_building, actor_id, data)

    @rpc
    def create_unit(self, actor_id, data):
        return self._run(app.create_unit, actor_id, data)

    @rpc
    def create_household(self, actor_id, data):
        return self._run(app.create_household, actor_id, data)

    @rpc
    def register_person(self, actor_id, data):
        return self._run(app.register_person, actor_id, data)

    @rpc
    def get_person(self, actor_id, person_id):
        return self._run(app.get_person, actor_id, person_id)

    @rpc
    def assign_grid_role(self, actor_id, grid_id, data):
        return self._run(app.assign_grid_role, actor_id, grid_id, data)

    @rpc
    def revoke_grid_role(self, actor_id, grid_id, person_id, role):
        return self._run(app.revoke_grid_role, actor_id, grid_id, person_id, role)

    @rpc
    def grant_admin_role(self, actor_id, community_id, data):
        return self._run(app.grant_admin_role, actor_id, community_id, data)

    @rpc
    def locate(self, household_id, actor_id=None):
        return self._run(app.locate, household_id, actor_id)

    @rpc
    def residents_in_scope(self, scope, scope_id, community_id):
        return self._run(app.residents_in_scope, scope, scope_id, community_id)

    @rpc
    def dispatch_target(self, kind, target_id, community_id):
        return self._run(targets.dispatch_target, kind, target_id, community_id)

    @rpc
    def register_department(self, actor_id, street_id, data):
        return self._run(targets.register_department, actor_id, street_id, data)

    @rpc
    def list_departments(self, actor_id, street_id):
        return self._run(targets.list_departments, actor_id, street_id)

    @rpc
    def coverage(self, actor_id, community_id):
        return self._run(app.coverage, actor_id, community_id)

    @rpc
    def list_grids(self, actor_id, community_id):
        return self._run(app.list_grids, actor_id, community_id)

    @rpc
    def community_tree(self, actor_id, community_id):
        return self._run(app.community_tree, actor_id, community_id)

    @rpc
    def unit_households(self, actor_id, unit_id):
        return self._run(app.unit_households, actor_id, unit_id)

    @rpc
    def search_people(self, actor_id, community_id, query):
        return self._run(app.search_people, actor_id, community_id, query)

    @rpc
    def create_party_org(self, actor_id, data):
        return self._run(app.create_party_org, actor_id, data)

    @rpc
    def add_party_org_member(self, actor_id, org_id, data):
        return self._run(app.add_party_org_member, actor_id, org_id, data)

    @rpc
    def party_tree(self, actor_id, community_id):
        return self._run(app.party_tree, actor_id, community_id)

    @rpc
    def create_member_org(self, actor_id, data):
        return self._run(app.create_member_org, actor_id, data)

    @rpc
    def list_member_orgs(self, actor_id, community_id):
        return self._run(app.list_member_orgs, actor_id, community_id)

    @rpc
    def set_duty_roster(self, actor_id, community_id, year, data):
        return self._run(app.set_duty_roster, actor_id, community_id, year, data)

    @rpc
    def duty_roster(self, actor_id, community_id, year):
        return self._run(app.duty_roster, actor_id, community_id, year)

    @rpc
    def log_visit(self, actor_id, data):
        return self._run(app.log_visit, actor_id, data)

    @rpc
    def list_visits(self, actor_id, household_id, query=None):
        return self._run(app.list_visits, actor_id, household_id, query)
