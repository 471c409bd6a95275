"""Alembic glue: each service's env.py calls `run_env`; the outbox and inbox tables ride along."""

from alembic import context

from .outbox import kernel_metadata


def run_env(target_metadata):
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("migrations run through yzw_kernel.db.run_migrations")
    context.configure(
        connection=connection,
        target_metadata=[target_metadata, kernel_metadata],
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
