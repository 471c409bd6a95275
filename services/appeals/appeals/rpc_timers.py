"""Timers of the appeals service: overdue appeals escalate by themselves."""

import logging
import os

from yzw_kernel.providers import configured_timer

from . import escalation

log = logging.getLogger(__name__)

# One line per process when its first sweep runs: operators (and the tests) see
# that every replica is sweeping, without a line per sweep.
_started = []


class TimerEntrypoints:
    @configured_timer("APPEALS_TIMER_INTERVAL", 30)
    def escalate_overdue_appeals(self):
        """Escalate open appeals past their deadline one level. Every replica sweeps;
        the compare-and-set in `escalation.escalate_overdue` escalates each one once."""
        if not _started:
            _started.append(True)
            interval = self.config.get("APPEALS_TIMER_INTERVAL", 30)
            log.info("process %d sweeps for overdue appeals every %ss", os.getpid(), interval)
        escalated, lost = escalation.sweep(self.db, self.settings)
        if escalated:
            log.info(
                "process %d escalated %d overdue appeal(s): %s",
                os.getpid(),
                len(escalated),
                " ".join(escalated),
            )
        if lost:
            log.info("process %d: %d appeal(s) escalated elsewhere first", os.getpid(), lost)
        return len(escalated)
