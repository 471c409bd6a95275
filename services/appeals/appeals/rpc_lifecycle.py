"""RPC entrypoints of the appeal's lifecycle."""

from yzw_kernel.contracts import appeals as contract
from yzw_kernel.providers import rpc
from yzw_kernel.validation import load

from . import app


class LifecycleRpc:
    @rpc
    def submit(self, principal, data):
        # Validate before asking grid, and ask grid before opening a transaction.
        household_id = load(contract.AppealIn, data)["household_id"]
        place = self.grid.locate(household_id)
        return self._run(app.submit, principal, place, data, self.settings)

    @rpc
    def get(self, principal, appeal_id):
        return self._run(app.get, principal, appeal_id)

    @rpc
    def list(self, principal, query):
        return self._run(app.list_appeals, principal, query)

    @rpc
    def dispatch(self, principal, appeal_id, data):
        # Validate; make sure the caller may dispatch the appeal; ask the target's owner
        # whether it belongs to the appeal's community (404 if not); then dispatch.
        wanted = load(contract.DispatchIn, data)
        with self.db.reading() as session:
            community_id = app.community_for_staff(session, principal, appeal_id, app.DISPATCH)
        kind, target_id = wanted["assignee_kind"], wanted["assignee_id"]
        if kind == "volunteer_team":
            target = self.volunteer.team_in_community(target_id, community_id)
        else:
            target = self.grid.dispatch_target(kind, target_id, community_id)
        return self._run(app.dispatch, principal, appeal_id, data, target)

    @rpc
    def claim(self, principal, appeal_id):
        return self._run(app.claim, principal, appeal_id)

    @rpc
    def resolve(self, principal, appeal_id, data):
        return self._run(app.resolve, principal, appeal_id, data)

    @rpc
    def rate(self, principal, appeal_id, data):
        return self._run(app.rate, principal, appeal_id, data, self.settings)

    @rpc
    def reject(self, principal, appeal_id, data):
        return self._run(app.reject, principal, appeal_id, data)

    @rpc
    def withdraw(self, principal, appeal_id, data):
        return self._run(app.withdraw, principal, appeal_id, data)

    @rpc
    def escalate(self, principal, appeal_id, data):
        return self._run(app.escalate, principal, appeal_id, data, self.settings)

    @rpc
    def return_appeal(self, principal, appeal_id, data):
        return self._run(app.return_appeal, principal, appeal_id, data, self.settings)

    @rpc
    def request_extension(self, principal, appeal_id, data):
        return self._run(app.request_extension, principal, appeal_id, data)

    @rpc
    def grant_extension(self, principal, appeal_id):
        return self._run(app.grant_extension, principal, appeal_id)

    @rpc
    def urge(self, principal, appeal_id):
        return self._run(app.urge, principal, appeal_id)
