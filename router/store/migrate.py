"""Alembic migrations, run from code: ``serve`` and ``db upgrade`` both call :func:`upgrade`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from router.errors import StoreError
from router.store.db import Database

MIGRATIONS = Path(__file__).with_name("migrations")


def _config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["database"] = db
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to ``revision``; concurrent callers are safe (one wins the lock)."""
    command.upgrade(_config(db), revision)


def downgrade(db: Database, revision: str) -> None:
    """Take the schema back to ``revision`` (before running an older release on it)."""
    command.downgrade(_config(db), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config_for_script()).get_current_head()


def current_revision(db: Database) -> str | None:
    with db.read() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def ensure_current(db: Database) -> None:
    """Raise StoreError unless the schema is at the newest revision."""
    current, head = current_revision(db), head_revision()
    if current != head:
        raise StoreError(
            f"database schema is at {current or 'nothing'}, expected {head}: "
            "run `visionalert-router db upgrade`"
        )


def _config_for_script() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg
