"""RPC entrypoint of appeal statistics."""

from yzw_kernel.providers import rpc

from . import stats as statistics


class StatsRpc:
    @rpc
    def stats(self, principal, query):
        return self._run(statistics.stats, principal, query)
