"""The store named by ROUTER_DATABASE_URL, for commands that need no running router."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from router.errors import SettingsError, StoreError
from router.settings import Settings
from router.store.db import Database


@contextmanager
def open_store() -> Iterator[Database]:
    from router.store.migrate import ensure_current

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(f"invalid settings: {exc}") from None
    db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    try:
        ensure_current(db)
        yield db
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.dispose()
