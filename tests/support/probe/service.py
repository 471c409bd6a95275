"""The probe service: consumes grid.person_registered once per event (or fails on
it, on purpose); runs slow queries."""

from pathlib import Path

from sqlalchemy import func, select, text

from yzw_kernel.events import consumes
from yzw_kernel.providers import Database, rpc

from .models import Effect

MIGRATIONS = Path(__file__).parent / "migrations"


class ProbeService:
    name = "probe"
    db = Database(MIGRATIONS)
    broken = set()  # person ids whose event the handler fails on: a bug, until a test fixes it
    attempts = {}  # person id -> how many times the handler was called for it

    @consumes("grid", "person_registered")
    def on_person_registered(self, tx, envelope):
        person_id = envelope["data"]["person_id"]
        ProbeService.attempts[person_id] = ProbeService.attempts.get(person_id, 0) + 1
        if person_id in ProbeService.broken:
            raise RuntimeError(f"a bug in the handler, for {person_id}")
        tx.session.add(Effect(event_id=envelope["id"], person_id=envelope["data"]["person_id"]))

    @rpc
    def effects(self):
        with self.db.reading() as session:
            return session.scalar(select(func.count()).select_from(Effect))

    @rpc
    def effects_for(self, person_id):
        with self.db.reading() as session:
            query = select(func.count()).select_from(Effect).where(Effect.person_id == person_id)
            return session.scalar(query)

    @rpc
    def slow_query(self, seconds):
        """Start and end of a PostgreSQL query that sleeps, as the server saw them."""
        with self.db.reading() as session:
            started = session.scalar(text("SELECT clock_timestamp()"))
            session.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
            ended = session.scalar(text("SELECT clock_timestamp()"))
        return {"started": started.isoformat(), "ended": ended.isoformat()}
