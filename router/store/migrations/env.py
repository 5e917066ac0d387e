"""Alembic environment: the connection comes from the caller, never from alembic.ini."""

from __future__ import annotations

from alembic import context

from router.store.schema import metadata

database = context.config.attributes["database"]


def run() -> None:
    with database.write() as conn:
        if database.dialect == "postgresql":
            # Replicas starting together: one migrates, the others wait and find it done.
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7413001)")
        context.configure(
            connection=conn,
            target_metadata=metadata,
            render_as_batch=database.dialect == "sqlite",
            transactional_ddl=True,
        )
        context.run_migrations()


run()
