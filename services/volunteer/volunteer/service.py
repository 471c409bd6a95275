"""nameko entrypoints of the volunteer service: parse, call one use case, return."""

from pathlib import Path

from nameko.dependency_providers import Config

from yzw_kernel.events import consumes
from yzw_kernel.providers import Database, StoreBacked, TimedRpcProxy, rpc

from . import app, settings

MIGRATIONS = Path(__file__).parent / "migrations"


class VolunteerService(StoreBacked):
    name = "volunteer"
    db = Database(MIGRATIONS)
    config = Config()
    grid = TimedRpcProxy("grid")  # who people are: a team's, a reward's, an award's
    limits = settings.ActivitySettings()

    @property
    def rules(self):
        return self.config.get("STARS") or {}

    # -- events from the suite ---------------------------------------------------

    @consumes("grid", "person_registered")
    def on_person_registered(self, tx, envelope):
        app.open_account_for_person(tx, envelope)

    @consumes("appeals", "appeal_closed")
    def on_appeal_closed(self, tx, envelope):
        app.award_for_closed_appeal(tx, envelope, self.rules)

    @consumes("grid", "visit_logged")
    def on_visit_logged(self, tx, envelope):
        app.award_for_visit(tx, envelope, self.rules)

    # -- red stars ---------------------------------------------------------------

    @rpc
    def stars(self, principal, person_id, query=None):
        return self._run(app.stars, principal, person_id, query)

    @rpc
    def award(self, principal, data):
        return self._run(app.manual_award, principal, data, self.grid.principals)

    @rpc
    def leaderboard(self, principal, query):
        return self._run(app.leaderboard, principal, query)

    @rpc
    def community_summary(self, principal, community_id):
        return self._run(app.community_summary, principal, community_id)

    # -- teams and activities ----------------------------------------------------

    @rpc
    def create_team(self, principal, data):
        return self._run(app.create_team, principal, data, self.grid.principals)

    @rpc
    def add_member(self, principal, team_id, data):
        return self._run(app.add_member, principal, team_id, data, self.grid.principals)

    @rpc
    def get_team(self, principal, team_id):
        return self._run(app.get_team, principal, team_id)

    @rpc
    def list_teams(self, principal, query):
        return self._run(app.list_teams, principal, query)

    @rpc
    def team_in_community(self, team_id, community_id):
        return self._run(app.team_in_community, team_id, community_id)

    @rpc
    def create_activity(self, principal, data):
        return self._run(app.create_activity, principal, data, self.limits)

    @rpc
    def get_activity(self, principal, activity_id):
        return self._run(app.get_activity, principal, activity_id)

    @rpc
    def list_activities(self, principal, query):
        return self._run(app.list_activities, principal, query)

    @rpc
    def list_sign_ups(self, principal, activity_id):
        return self._run(app.list_sign_ups, principal, activity_id)

    @rpc
    def sign_up(self, principal, activity_id):
        return self._run(app.sign_up, principal, activity_id)

    @rpc
    def cancel_sign_up(self, principal, activity_id):
        return self._run(app.cancel_sign_up, principal, activity_id)

    @rpc
    def check_in(self, principal, activity_id, data):
        return self._run(app.check_in, principal, activity_id, data)

    @rpc
    def check_out(self, principal, activity_id, data):
        return self._run(app.check_out, principal, activity_id, data)

    @rpc
    def complete_activity(self, principal, activity_id):
        return self._run(app.complete_activity, principal, activity_id, self.limits)

    @rpc
    def approve_completion(self, principal, activity_id, data):
        return self._run(app.decide_completion, principal, activity_id, "approve", data)

    @rpc
    def reject_completion(self, principal, activity_id, data):
        return self._run(app.decide_completion, principal, activity_id, "reject", data)

    # -- rewards -----------------------------------------------------------------

    @rpc
    def create_reward(self, principal, data):
        return self._run(app.create_reward, principal, data, self.grid.principals)

    @rpc
    def list_rewards(self, principal, query):
        return self._run(app.list_rewards, principal, query)

    @rpc
    def redeem(self, principal, reward_id):
        return self._run(app.redeem, principal, reward_id)

    @rpc
    def my_vouchers(self, principal, query=None):
        return self._run(app.my_vouchers, principal, query)

    @rpc
    def use_voucher(self, principal, code):
        return self._run(app.use_voucher, principal, code)

    @rpc
    def cancel_voucher(self, principal, voucher_id):
        return self._run(app.cancel_voucher, principal, voucher_id)
