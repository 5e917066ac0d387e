"""The store: migrations match the schema, and upgrade is repeatable, on both backends."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from router.store.db import Database
from router.store.migrate import (
    current_revision,
    downgrade,
    ensure_current,
    head_revision,
    upgrade,
)
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


def test_0005_moves_each_inbox_entry_onto_its_alert(database_url: str) -> None:
    db = Database(database_url)
    upgrade(db, "0004")
    columns = ("received_at, license, status, camera_count, content_type, body_sha256, "
               "raw_body, payload, duplicates, source")
    with db.write() as conn:
        for alert_id in (1, 2):
            conn.execute(text(f"INSERT INTO alerts (id, {columns}) VALUES (:id, 10.0, 'L', "
                              "'offline', 1, 'application/json', 'x', :raw, '{}', 0, "
                              "'webhook')"), {"id": alert_id, "raw": b"{}"})
        conn.execute(text(
            "INSERT INTO inbox (alert_id, state, available_at, lease_owner, lease_until, claims,"
            " created_at, done_at, last_error) VALUES "
            "(1, 'done', 10.0, NULL, NULL, 1, 10.0, 12.0, NULL), "
            "(2, 'pending', 40.0, 'w1', 99.0, 3, 10.0, NULL, 'upstream 502')"))
    upgrade(db)
    with db.read() as conn:
        rows = conn.execute(text(
            "SELECT id, inbox_state, available_at, lease_owner, lease_until, claims, done_at, "
            "last_error FROM alerts ORDER BY id")).all()
        pending = conn.execute(text(
            "SELECT id FROM alerts WHERE inbox_state = 'pending'")).scalars().all()
    assert [tuple(r) for r in rows] == [
        (1, "done", 10.0, None, None, 1, 12.0, None),
        (2, "pending", 40.0, "w1", 99.0, 3, None, "upstream 502")]
    assert pending == [2]
    db.dispose()


def test_0006_makes_the_time_indexes_partial_and_back(database_url: str) -> None:
    db = Database(database_url)
    upgrade(db, "0005")
    upgrade(db)

    def index_sql() -> dict[str, str]:
        with db.read() as conn:
            if db.dialect == "sqlite":
                query = "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
            else:
                query = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'alerts'"
            return {name: sql for name, sql in conn.execute(text(query)).all()
                    if name in ("ix_alerts_received_at", "ix_alerts_license_received_at")}

    assert len(index_sql()) == 2
    assert all("inbox_state" in sql and "done" in sql for sql in index_sql().values())
    downgrade(db, "0005")
    assert len(index_sql()) == 2
    assert not any("inbox_state" in sql for sql in index_sql().values())
    upgrade(db)
    db.dispose()
