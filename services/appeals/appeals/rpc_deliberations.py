"""RPC entrypoints of votes (有事来商量) and project proposals, and the timer closing due votes."""

import logging

from yzw_kernel.providers import configured_timer, rpc
from yzw_kernel.types import utcnow

from . import app, deliberations, projects

log = logging.getLogger(__name__)


class DeliberationRpc:
    @rpc
    def open_deliberation(self, principal, appeal_id, data):
        # Validate; make sure the caller may open a vote on the appeal; ask grid who lives
        # in the scope, which must lie in the appeal's community (404 if not); then open it.
        data_in = deliberations.check_input(data)
        with self.db.reading() as session:
            community_id = app.community_for_staff(
                session, principal, appeal_id, deliberations.OPEN_A_VOTE
            )
        scope = self.grid.residents_in_scope(data_in["scope"], data_in["scope_id"], community_id)
        return self._run(
            deliberations.open_deliberation, principal, appeal_id, data, scope, self.settings
        )

    @rpc
    def get_deliberation(self, principal, deliberation_id):
        return self._run(deliberations.get, principal, deliberation_id)

    @rpc
    def list_deliberations(self, principal, query):
        return self._run(deliberations.list_mine, principal, query)

    @rpc
    def vote(self, principal, deliberation_id, data):
        return self._run(deliberations.vote, principal, deliberation_id, data)

    @rpc
    def close_deliberation(self, principal, deliberation_id):
        return self._run(deliberations.close, principal, deliberation_id)

    @rpc
    def propose_project(self, principal, data):
        return self._run(projects.propose, principal, data)

    @rpc
    def get_project_proposal(self, principal, proposal_id):
        return self._run(projects.get, principal, proposal_id)

    @configured_timer("APPEALS_TIMER_INTERVAL", 30)
    def close_due_deliberations(self):
        """Close votes past their closing time. Every replica sweeps; the compare-and-set
        in `close_due` lets one transaction per vote close it and publish the result."""
        now = utcnow()
        with self.db.reading() as session:
            due = deliberations.due(session, now)
        closed = 0
        for deliberation_id in due:
            with self.db.transaction() as tx:
                closed += deliberations.close_due(tx, deliberation_id, now)
        if closed:
            log.info("closed %d due vote(s)", closed)
        return closed
