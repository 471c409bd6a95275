"""Routes of statistics for the community office console."""

from yzw_kernel.contracts import appeals as a

from .http import api, query_as_sent


class StatsRoutes:
    @api(
        "GET",
        "/stats/appeals",
        summary="Appeal statistics of a community or grid: counts, medians, satisfaction (staff)",
        tag="statistics",
        query=a.StatsQuery,
        response=a.StatsOut,
    )
    def appeal_stats(self, request, principal, body):
        return self.appeals.stats(self.principal_of(principal), query_as_sent(request))
