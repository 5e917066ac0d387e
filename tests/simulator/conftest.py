from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from router.clock import ManualClock
from router.simulator import SimulatorConfig, create_app
from router.simulator.context import SimContext, sim_of

NOW = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)
API = "/v1/vision-alert/"
DEMO = {"Authorization": "Token demo-token"}
OTHER = {"Authorization": "Token other-token"}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW.timestamp())


@pytest.fixture
def make_app(clock: ManualClock) -> Any:
    def make(**options: Any) -> Flask:
        options.setdefault("rate_limit", 0)
        app = create_app(SimulatorConfig(**options), clock=clock)
        app.testing = True
        return app

    return make


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app()  # type: ignore[no-any-return]


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as c:
        yield c


@pytest.fixture
def ctx(app: Flask) -> SimContext:
    return sim_of(app)


def jpeg_bytes() -> bytes:
    from router.simulator.frames import camera_frame

    return camera_frame("upload-test", "normal")


def get_all(client: FlaskClient, url: str, headers: dict[str, str] = DEMO) -> list[Any]:
    """Follow ``next`` links to the end; returns every result."""
    items: list[Any] = []
    while url:
        resp = client.get(url, headers=headers)
        assert resp.status_code == 200, resp.json
        items += resp.json["results"]
        url = resp.json["next"]
    return items
