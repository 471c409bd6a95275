"""The appeals service: its entrypoints, gathered from one module per area."""

from pathlib import Path

from nameko.dependency_providers import Config

from yzw_kernel.providers import Database, StoreBacked, TimedRpcProxy

from .rpc_deliberations import DeliberationRpc
from .rpc_events import EventHandlers
from .rpc_lifecycle import LifecycleRpc
from .rpc_stats import StatsRpc
from .rpc_timers import TimerEntrypoints

MIGRATIONS = Path(__file__).parent / "migrations"


class AppealsService(
    StoreBacked, LifecycleRpc, DeliberationRpc, EventHandlers, StatsRpc, TimerEntrypoints
):
    name = "appeals"
    db = Database(MIGRATIONS)
    grid = TimedRpcProxy("grid")
    volunteer = TimedRpcProxy("volunteer")  # whether a team is the appeal's community's
    config = Config()

    @property
    def settings(self):
        return {
            "deadlines": self.config.get("DEADLINES") or {},
            "quorum_share": float(self.config.get("DELIBERATION_QUORUM", 0.5)),
        }
