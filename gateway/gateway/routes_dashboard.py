"""The community dashboard 平台大数据分析: four services asked at once, one answer.

Each part is fetched in its own green thread against one shared deadline, so the
answer comes within about one timeout however many services are slow. A part whose
service is down or late is left null and named in `missing`. Grid's coverage
decides who may see the dashboard at all: its refusal (403, 404) is the answer.
Another part that the person may not see (a treasurer and the volunteer
figures, say) is left out and named in `missing` too.
"""

import logging
import time

import eventlet
from nameko.exceptions import RemoteError

from yzw_kernel.errors import Forbidden, ServiceUnavailable

from .http import api
from .schemas import DashboardOut

log = logging.getLogger(__name__)

# each part of the answer, and the service that gives it
PARTS = {"coverage": "grid", "appeals": "appeals", "volunteer": "volunteer", "funds": "funding"}


class DashboardRoutes:
    def dashboard_timeout(self):
        config = self.config
        return float(config.get("DASHBOARD_TIMEOUT") or config.get("RPC_TIMEOUT", 5))

    @api(
        "GET",
        "/communities/{community_id}/dashboard",
        summary="The community dashboard 平台大数据分析: coverage, appeals, volunteering and "
        "funds in one answer; a part whose service is down is null and named in `missing`",
        tag="statistics",
        response=DashboardOut,
    )
    def dashboard(self, request, principal, body, community_id):
        timeout = self.dashboard_timeout()
        deadline = time.monotonic() + timeout
        pool = eventlet.GreenPool(len(PARTS))

        def fetch(part, method, *args):
            service = PARTS[part]
            timer = eventlet.Timeout(max(deadline - time.monotonic(), 0.001))
            try:
                return getattr(self.services[service], method)(*args), None
            except eventlet.Timeout as expired:
                if expired is not timer:
                    raise
                return None, f"the {service} service did not answer within {timeout:g}s"
            except ServiceUnavailable as error:
                return None, str(error)
            except Forbidden as error:
                if part == "coverage":
                    raise
                return None, f"not shown to you: {error}"
            except RemoteError as error:
                log.error("the dashboard's %s part failed: %s", part, error)
                return None, f"the {service} service failed; the error is logged"
            finally:
                timer.cancel()

        # grid knows the person by id: coverage need not wait for the principal
        pending = {"coverage": pool.spawn(fetch, "coverage", "coverage", principal, community_id)}
        who = self.principal_of(principal)
        scope = {"community_id": community_id}
        pending["appeals"] = pool.spawn(fetch, "appeals", "stats", who, scope)
        pending["volunteer"] = pool.spawn(
            fetch, "volunteer", "community_summary", who, community_id
        )
        pending["funds"] = pool.spawn(fetch, "funds", "community_summary", who, community_id)
        # grid's refusal, or a NotFound from any part, is raised here and is the answer
        answers = {part: pending[part].wait() for part in PARTS}
        missing = {part: reason for part, (_, reason) in answers.items() if reason is not None}
        return {
            "community_id": community_id,
            **{part: value for part, (value, _) in answers.items()},
            "missing": missing,
            "complete": not missing,
        }
