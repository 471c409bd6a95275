"""The probe service: consumes grid.person_registered once per event; runs slow queries."""

from pathlib import Path

from nameko.rpc import rpc
from sqlalchemy import func, select, text

from yzw_kernel.events import consumes
from yzw_kernel.providers import Database

from .models import Effect

MIGRATIONS = Path(__file__).parent / "migrations"


class ProbeService:
    name = "probe"
    db = Database(MIGRATIONS)

    @consumes("grid", "person_registered")
    def on_person_registered(self, tx, envelope):
        tx.session.add(Effect(event_id=envelope["id"], person_id=envelope["data"]["person_id"]))

    @rpc
    def effects(self):
        with self.db.reading() as session:
            return session.scalar(select(func.count()).select_from(Effect))

    @rpc
    def slow_query(self, seconds):
        """Start and end of a PostgreSQL query that sleeps, as the server saw them."""
        with self.db.reading() as session:
            started = session.scalar(text("SELECT clock_timestamp()"))
            session.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
            ended = session.scalar(text("SELECT clock_timestamp()"))
        return {"started": started.isoformat(), "ended": ended.isoformat()}
