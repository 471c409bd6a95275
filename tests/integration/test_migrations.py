"""Migrations and models agree, on SQLite and on PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import grid_store

from yzw_kernel.outbox import kernel_metadata


def test_grid_migrations_match_the_models(database_url):
    from grid.models import metadata

    store = grid_store(database_url)
    try:
        store.migrate()  # twice: a restart with nothing to do
        with store.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, [metadata, kernel_metadata])
        assert diff == []
    finally:
        store.dispose()
