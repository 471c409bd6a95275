"""Database access for a service: engine, unit of work, migrations.

The embedded default is one SQLite file per service under `var/`; a
`postgresql://` URL selects PostgreSQL through pg8000, a pure-Python driver
whose socket calls yield to eventlet, so one slow query never stalls the
other workers of the process.
"""

import logging
import os
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import create_engine, event, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from . import faults
from .envelope import make_envelope
from .errors import Conflict, NotFound
from .outbox import OutboxRelay, inbox_table, outbox_table, serialise_envelope
from .types import utcnow

log = logging.getLogger(__name__)

# Any constant works; it only has to be the same for every replica of a service.
_MIGRATION_LOCK_KEY = 1_720_517


def normalise_url(url):
    """Accept plain `postgresql://` URLs and route them through pg8000."""
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+pg8000://" + url[len(prefix) :]
    return url


def make_engine(url, pool_size=10):
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(url, pool_size=pool_size, max_overflow=5, pool_pre_ping=True)


def _sqlite_engine(url):
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # One connection per process: SQLite serialises writers anyway, and a
    # second connection waiting on the file lock inside C would freeze the
    # eventlet hub. Greenthreads queue for the pool instead, cooperatively.
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=1,
        max_overflow=0,
        pool_timeout=60,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # IMMEDIATE takes the write lock up front: two processes never
        # deadlock upgrading a read transaction to a write.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def run_migrations(engine, script_location):
    """Bring the schema to head; replicas starting together take turns."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(script_location))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_KEY})")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Store:
    """A service's database: engine, sessions and the outbox relay."""

    def __init__(self, url, source, migrations, amqp_uri=None, relay_options=None):
        self.url = normalise_url(url)
        self.source = source
        self.engine = make_engine(self.url)
        self.migrations = migrations
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.relay = OutboxRelay(self.engine, amqp_uri, source, **(relay_options or {}))

    def migrate(self):
        run_migrations(self.engine, self.migrations)

    def transaction(self):
        return UnitOfWork(self)

    @contextmanager
    def reading(self):
        session = self.sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def has_handled(self, event_id):
        """Whether the inbox holds this event (read outside any unit of work)."""
        with self.reading() as session:
            query = select(inbox_table.c.event_id).where(inbox_table.c.event_id == event_id)
            return session.execute(query).first() is not None

    def dispose(self):
        self.relay.close()
        self.engine.dispose()


class UnitOfWork:
    """One transaction: the change, its outgoing events and its handled events.

    Events published during the unit are written to the outbox in the same
    commit, so a rolled-back change never publishes; after commit they are
    relayed at once, and by the relay's timer if the broker was away.
    """

    def __init__(self, store):
        self.store = store
        self.session = None
        self.published = []

    def __enter__(self):
        self.session = self.store.sessions()
        return self

    def publish(self, event_type, data):
        envelope = make_envelope(self.store.source, event_type, data)
        self.session.execute(
            insert(outbox_table).values(
                event_id=envelope["id"],
                event_type=event_type,
                payload=serialise_envelope(envelope),
                created_at=utcnow(),
            )
        )
        self.published.append(envelope)
        return envelope

    def already_handled(self, event_id):
        found = self.session.execute(
            select(inbox_table.c.event_id).where(inbox_table.c.event_id == event_id)
        ).first()
        return found is not None

    def mark_handled(self, envelope):
        self.session.execute(
            insert(inbox_table).values(
                event_id=envelope["id"], event_type=envelope["type"], handled_at=utcnow()
            )
        )

    def flush(self):
        try:
            self.session.flush()
        except (IntegrityError, StaleDataError) as exc:
            raise _conflict(exc) from exc

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                try:
                    self.session.commit()
                except (IntegrityError, StaleDataError) as error:
                    self.session.rollback()
                    raise _conflict(error) from error
            else:
                self.session.rollback()
                if isinstance(exc, IntegrityError | StaleDataError):
                    raise _conflict(exc) from exc
        finally:
            self.session.close()
        if exc_type is None and self.published:
            for envelope in self.published:
                # committed, not yet relayed: where the chaos run kills producers
                faults.reached(f"committed:{envelope['type']}")
            self.store.relay.relay_now()
        return False


def _conflict(error):
    if isinstance(error, StaleDataError):
        # a versioned row changed under us: someone else acted at the same moment
        return Conflict("someone else changed this at the same moment; reload and try again")
    return Conflict("the change conflicts with existing data")


def get_one(session, model, object_id, what, lock=False):
    """The row with this id, locked FOR UPDATE if asked; NotFound if there is none."""
    found = session.get(model, object_id, with_for_update=lock) if object_id else None
    if found is None:
        raise NotFound(f"no {what} with id {object_id}")
    return found


def insert_unless_present(session, model, rows, conflict_columns=None):
    """INSERT ... ON CONFLICT DO NOTHING, on SQLite and PostgreSQL alike.

    For rows that must exist before a guarded UPDATE: two transactions adding
    the same row at once both go on, and the UPDATE's row lock orders them.
    """
    make_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        make_insert(model).values(rows).on_conflict_do_nothing(index_elements=conflict_columns)
    )


def database_url(config, service_name):
    """The service's URL from config, or its embedded SQLite default."""
    url = config.get("DATABASE_URL")
    if not url:
        root = os.environ.get("YZW_VAR_DIR", "var")
        url = f"sqlite:///{root}/{service_name}.sqlite3"
    return url
