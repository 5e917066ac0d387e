"""Shared fixtures: settings on a temporary SQLite store, the app, and its runtime."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from router.app import create_app
from router.clock import ManualClock
from router.runtime import Runtime
from router.settings import Settings
from router.store.migrate import upgrade

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
