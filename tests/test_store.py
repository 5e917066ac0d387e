"""The store: migrations match the schema, and upgrade is repeatable, on both backends."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from router.store.db import Database
from router.store.migrate import current_revision, ensure_current, head_revision, upgrade
from router.store.schema import metadata


def test_migrations_create_exactly_the_schema(database_url: str) -> None:
    db = Database(database_url)
    upgrade(db)
    upgrade(db)  # repeatable
    assert current_revision(db) == head_revision()
    ensure_current(db)
    with db.read() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    db.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    with db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db.dispose()


def test_postgresql_sessions_have_timeouts(postgresql_url: str) -> None:
    db = Database(postgresql_url)
    with db.read() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "30s"
        assert conn.execute(text("SHOW lock_timeout")).scalar() == "30s"
        assert conn.execute(text("SHOW idle_in_transaction_session_timeout")).scalar() == "1min"
    db.dispose()
