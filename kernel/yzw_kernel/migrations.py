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


def make_append_only(table):
    """Have the database itself refuse UPDATE and DELETE on `table` (ledgers).

    Corrections are new, reversing rows; a bug or a hand-typed statement
    cannot rewrite history.
    """
    from alembic import op

    message = f"{table} rows are append-only: write a reversing entry instead"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{message}'; END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
