"""Shared fixtures: settings on a temporary SQLite store, the app, and its runtime.

Store-level tests take ``database_url`` (or ``store``) and run twice: on SQLite
and on the machine's PostgreSQL server, in a database created for the session.
"""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from router.app import create_app
from router.clock import ManualClock
from router.pipeline.runtime import Runtime
from router.settings import Settings
from router.store.db import Database
from router.store.migrate import upgrade
from tests.support import postgres

LOG_RULES = textwrap.dedent(
    """\
    receivers:
      console:
        urls: ["log://"]
    routes:
      - name: everything
        receivers: [console]
    """
)


@pytest.fixture
def rules_path(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(LOG_RULES)
    return path


@pytest.fixture
def make_runtime(tmp_path: Path, rules_path: Path) -> Iterator[Callable[..., Runtime]]:
    """Build a migrated Runtime on a fresh SQLite file; keyword args override settings."""
    made: list[Runtime] = []

    def factory(clock: ManualClock | None = None, **overrides: object) -> Runtime:
        values: dict[str, object] = {
            "database_url": f"sqlite:///{tmp_path / 'router.db'}",
            "rules_file": rules_path,
            "retry_base_seconds": 1.0,
        }
        values.update(overrides)
        settings = Settings.from_env({}, **values)
        runtime = Runtime.create(settings, clock=clock or ManualClock())
        upgrade(runtime.db)
        made.append(runtime)
        return runtime

    yield factory
    for runtime in made:
        runtime.db.dispose()


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime()


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    return create_app(runtime=runtime)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# -- backends ----------------------------------------------------------------------


def _unavailable(reason: str) -> None:
    """Skip on a developer machine without the server; in CI that is a failure."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (required when CI=true)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database for this test session (its name); dropped at the end."""
    why = postgres.available()
    if why is not None:
        _unavailable(why)
    name = f"router_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    postgres.create_database(name)
    yield name
    if postgres.can_control():
        postgres.ensure_running()  # a restart test may have failed half-way
    postgres.drop_database(name)


@pytest.fixture
def postgresql_url(pg_database: str) -> str:
    """The session database, emptied for this test."""
    postgres.reset_schema(pg_database)
    return postgres.url(pg_database)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("postgresql_url")
    return url


@pytest.fixture
def store(database_url: str) -> Iterator[Database]:
    """A migrated, empty store on each backend."""
    db = Database(database_url)
    upgrade(db)
    yield db
    db.dispose()
