from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from router.clock import ManualClock, utc
from router.simulator.context import SimContext
from router.simulator.pagination import Cursor, page_size_from

from .conftest import API, DEMO, get_all

LOGS = API + "5/logs/"


def created_ids(items: list[dict[str, object]]) -> list[tuple[str, int]]:
    return [(str(i["created"]), int(i["id"])) for i in items]  # type: ignore[call-overload]


def test_default_page_size_is_50(client: FlaskClient) -> None:
    assert len(client.get(LOGS, headers=DEMO).json["results"]) == 50


@pytest.mark.parametrize(("raw", "size"), [("1", 1), ("200", 200), ("201", 200), ("5000", 200),
                                           ("0", 50), ("-3", 50), ("abc", 50), (None, 50)])
def test_page_size_parsing(raw: str | None, size: int) -> None:
    assert page_size_from(raw) == size


def test_page_size_above_max_is_clamped(client: FlaskClient) -> None:
    assert len(client.get(LOGS + "?page_size=1000", headers=DEMO).json["results"]) == 200


def test_newest_first_and_complete(client: FlaskClient, ctx: SimContext) -> None:
    items = get_all(client, LOGS + "?page_size=37")
    keys = [(ctx.state.logs[i["id"]].created, i["id"]) for i in items]
    assert keys == sorted(keys, reverse=True)
    assert len(items) == len({i["id"] for i in items})
    cams = {c.id for c in ctx.state.cameras_of(5)}
    assert len(items) == len(ctx.state.logs_of(cams))


def test_next_previous_round_trip(client: FlaskClient) -> None:
    first = client.get(LOGS + "?page_size=10&status=normal", headers=DEMO).json
    assert first["previous"] is None
    assert first["next"].startswith("http://localhost/v1/vision-alert/5/logs/?")
    assert "page_size=10" in first["next"] and "status=normal" in first["next"]
    second = client.get(first["next"], headers=DEMO).json
    third = client.get(second["next"], headers=DEMO).json
    back = client.get(third["previous"], headers=DEMO).json
    assert back["results"] == second["results"]
    back_again = client.get(back["previous"], headers=DEMO).json
    assert back_again["results"] == first["results"]
    assert back_again["previous"] is None
    assert back_again["next"] is not None


def test_last_page_has_no_next(client: FlaskClient) -> None:
    resp = client.get(API + "5/cameras/?page_size=10", headers=DEMO).json
    last = client.get(resp["next"], headers=DEMO).json
    assert len(last["results"]) == 6 and last["next"] is None and last["previous"]


def test_stable_under_inserts(client: FlaskClient, ctx: SimContext, clock: ManualClock) -> None:
    url = API + "5/cameras/C1/logs/?page_size=5"
    first = client.get(url, headers=DEMO).json
    # New logs arrive between page requests: the next page must not repeat or skip items.
    cam = ctx.state.camera(5, "C1")
    assert cam is not None
    for minutes in range(1, 4):
        ctx.state.add_log(cam, "normal", {}, utc(clock.now()) + timedelta(minutes=minutes), None)
    second = client.get(first["next"], headers=DEMO).json
    before = get_all(client, url)
    ids = [i["id"] for i in first["results"] + second["results"]]
    assert len(set(ids)) == 10
    assert [i["id"] for i in before[3:13]] == ids  # the 3 new logs are simply on top


def test_invalid_cursor_is_404(client: FlaskClient) -> None:
    resp = client.get(LOGS + "?cursor=not-a-cursor", headers=DEMO)
    assert resp.status_code == 404 and resp.json == {"detail": "Invalid cursor"}


def test_cursor_is_opaque_round_trip() -> None:
    from datetime import UTC, datetime

    cursor = Cursor(datetime(2026, 4, 10, tzinfo=UTC), 12, reverse=True)
    token = cursor.encode()
    assert "2026" not in token and Cursor.decode(token) == cursor


def test_next_url_uses_request_host(client: FlaskClient) -> None:
    resp = client.get(LOGS, headers={**DEMO, "Host": "sim.example:8090"})
    assert resp.json["next"].startswith("http://sim.example:8090/v1/vision-alert/5/logs/?cursor=")
