"""nameko entrypoints of the funding service: parse, call one use case, return."""

from pathlib import Path

from nameko.dependency_providers import Config

from yzw_kernel.errors import Conflict
from yzw_kernel.events import consumes
from yzw_kernel.providers import Database, StoreBacked, TimedRpcProxy, rpc

from . import funds, grants, idempotency, projects

MIGRATIONS = Path(__file__).parent / "migrations"


class FundingService(StoreBacked):
    name = "funding"
    db = Database(MIGRATIONS)
    grid = TimedRpcProxy("grid")
    config = Config()

    def _once(self, principal, key, request, use_case, *args):
        """Run a use case at most once per Idempotency-Key: a retry gets the first answer.

        Two requests racing with one key both try to record it; the database
        lets one commit, and the other, retried, finds it and replays it.
        """
        if key is None:
            return self._run(use_case, principal, *args)
        key = idempotency.check_key(key)
        for attempt in range(3):
            try:
                with self.db.transaction() as tx:
                    first = idempotency.replay(tx, principal, key, request)
                    if first is not None:
                        return first
                    answer = use_case(tx, principal, *args)
                    idempotency.remember(tx, principal, key, request, answer)
                    return answer
            except Conflict:
                if attempt == 2 or not self._run(idempotency.recorded, principal, key):
                    raise
        raise AssertionError("unreachable")

    # -- funds and money in ----------------------------------------------------

    @rpc
    def create_fund(self, principal, data):
        street_id = funds.street_of(principal, data, self.grid)
        return self._run(funds.create_fund, principal, data, street_id)

    @rpc
    def get_fund(self, principal, fund_id):
        return self._run(funds.get_fund, principal, fund_id)

    @rpc
    def list_funds(self, principal, community_id):
        return self._run(funds.list_funds, principal, community_id)

    @rpc
    def donate(self, principal, fund_id, data, idempotency_key=None):
        request = {"fund_id": fund_id, "data": data}
        return self._once(principal, idempotency_key, request, funds.donate, fund_id, data)

    @rpc
    def list_donations(self, principal, fund_id, query=None):
        return self._run(funds.list_donations, principal, fund_id, query)

    @rpc
    def register_in_kind(self, principal, fund_id, data):
        return self._run(funds.register_in_kind, principal, fund_id, data)

    @rpc
    def list_in_kind(self, principal, fund_id, query=None):
        return self._run(funds.list_in_kind, principal, fund_id, query)

    @rpc
    def reverse(self, principal, fund_id, transaction_id, data):
        return self._run(funds.reverse, principal, fund_id, transaction_id, data)

    # -- what anybody may read ---------------------------------------------------

    @rpc
    def ledger(self, fund_id, query=None):
        return self._run(funds.ledger_page, fund_id, query)

    @rpc
    def ledger_csv(self, fund_id):
        return self._run(funds.ledger_csv, fund_id)

    @rpc
    def report(self, fund_id):
        return self._run(funds.report, fund_id)

    @rpc
    def community_summary(self, principal, community_id):
        return self._run(funds.community_summary, principal, community_id)

    # -- grants 三救三扶三奖 --------------------------------------------------------

    @rpc
    def apply_grant(self, principal, data):
        return self._run(grants.apply, principal, data)

    @rpc
    def get_grant(self, principal, grant_id):
        return self._run(grants.get, principal, grant_id)

    @rpc
    def list_grants(self, principal, query):
        return self._run(grants.list_grants, principal, query)

    @rpc
    def approve_grant(self, principal, grant_id, data):
        return self._run(grants.decide, principal, grant_id, "approve", data)

    @rpc
    def reject_grant(self, principal, grant_id, data):
        return self._run(grants.decide, principal, grant_id, "reject", data)

    @rpc
    def pay_grant(self, principal, grant_id):
        return self._run(grants.pay, principal, grant_id)

    # -- 定向投 projects -----------------------------------------------------------

    @consumes("appeals", "project_proposed")
    def on_project_proposed(self, tx, envelope):
        projects.create_from_proposal(tx, envelope)

    @rpc
    def create_project(self, principal, data):
        return self._run(projects.create, principal, data)

    @rpc
    def get_project(self, principal, project_id):
        return self._run(projects.get, principal, project_id)

    @rpc
    def list_projects(self, principal, query):
        return self._run(projects.list_projects, principal, query)

    @rpc
    def assess_project(self, principal, project_id, data):
        return self._run(projects.assess, principal, project_id, data)

    @rpc
    def approve_project(self, principal, project_id, data):
        return self._run(projects.approve, principal, project_id, data)

    @rpc
    def fund_project(self, principal, project_id):
        return self._run(projects.fund, principal, project_id)

    @rpc
    def claim_project(self, principal, project_id, data):
        return self._run(projects.claim, principal, project_id, data)

    @rpc
    def start_project(self, principal, project_id):
        return self._run(projects.start, principal, project_id)

    @rpc
    def complete_project(self, principal, project_id, data):
        return self._run(projects.complete, principal, project_id, data)
