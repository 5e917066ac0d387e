"""The store named by ROUTER_DATABASE_URL, for commands that need no running router."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from router.errors import SettingsError, StoreError
from router.pipeline.runtime import Runtime
from router.settings import Settings
from router.store.db import Database


def settings_from_env() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(f"invalid settings: {exc}") from None


@contextmanager
def open_store() -> Iterator[Database]:
    settings = settings_from_env()
    db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    with _current(db):
        yield db


@contextmanager
def open_runtime() -> Iterator[Runtime]:
    """A Runtime on the configured store and rules, for commands that act (acknowledge)."""
    settings = settings_from_env()
    rt = Runtime.create(settings)
    if rt.rules.current is None:
        rt.db.dispose()
        raise click.ClickException(f"no valid rules loaded from {settings.rules_file}: "
                                   f"{rt.rules.error}")
    with _current(rt.db):
        yield rt


@contextmanager
def _current(db: Database) -> Iterator[None]:
    """The store migrated to the current schema; its errors as a CLI message."""
    from router.store.migrate import ensure_current

    try:
        ensure_current(db)
        yield
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.dispose()
