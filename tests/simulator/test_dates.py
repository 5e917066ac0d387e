from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from router.errors import DateFilterError
from router.simulator.context import SimContext
from router.simulator.dates import INVALID_DATE, parse_bound

from .conftest import API, DEMO, get_all

BERLIN = ZoneInfo("Europe/Berlin")


def test_date_start_is_midnight() -> None:
    assert parse_bound("2026-04-10", is_end=False, tz=UTC) == datetime(2026, 4, 10, tzinfo=UTC)


def test_date_end_includes_whole_day() -> None:
    end = parse_bound("2026-04-10", is_end=True, tz=UTC)
    assert end >= datetime(2026, 4, 10, 23, 59, 59, tzinfo=UTC)
    assert end < datetime(2026, 4, 11, tzinfo=UTC)


def test_timestamp_is_exact() -> None:
    got = parse_bound("2026-04-10T14:30:00Z", is_end=True, tz=BERLIN)
    assert got == datetime(2026, 4, 10, 14, 30, tzinfo=UTC)
    got = parse_bound("2026-04-10T14:30:00+02:00", is_end=False, tz=UTC)
    assert got == datetime(2026, 4, 10, 12, 30, tzinfo=UTC)


def test_naive_timestamp_uses_server_timezone() -> None:
    got = parse_bound("2026-04-10T14:30:00", is_end=False, tz=BERLIN)
    assert got == datetime(2026, 4, 10, 12, 30, tzinfo=UTC)  # CEST = UTC+2


def test_date_uses_server_timezone() -> None:
    got = parse_bound("2026-04-10", is_end=False, tz=BERLIN)
    assert got == datetime(2026, 4, 9, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["yesterday", "2026-13-01", "2026-04", "20260410",
                                 "2026-04-10T25:00", "10/04/2026"])
def test_invalid_values(raw: str) -> None:
    with pytest.raises(DateFilterError, match=r"^Enter a valid date"):
        parse_bound(raw, is_end=False, tz=UTC)


@pytest.mark.parametrize("path", ["5/logs/", "5/cameras/C1/logs/", "5/alerts/"])
def test_invalid_value_is_400_with_exact_message(client: FlaskClient, path: str) -> None:
    resp = client.get(API + path + "?start=nope&end=2026-04-31", headers=DEMO)
    assert resp.status_code == 400
    assert resp.json == {"start": [INVALID_DATE], "end": [INVALID_DATE]}
    assert INVALID_DATE == "Enter a valid date (YYYY-MM-DD) or ISO 8601 timestamp."


def _created(items: list[dict[str, str]]) -> list[datetime]:
    return [datetime.fromisoformat(i["created"]) for i in items]


def test_endpoint_filters_inclusive(client: FlaskClient, ctx: SimContext) -> None:
    # camera1 logs every 15 minutes until 11:40 on 2026-04-10 (now = 12:00).
    url = API + "7/cameras/camera1/logs/"
    day = _created(get_all(client, url + "?start=2026-04-10&end=2026-04-10"))
    assert min(day) == datetime(2026, 4, 10, 0, 10, tzinfo=UTC)
    assert max(day) == datetime(2026, 4, 10, 11, 40, tzinfo=UTC)
    exact = _created(get_all(client, url + "?start=2026-04-10T11:10:00Z&end=2026-04-10T11:40:00Z"))
    assert exact == [datetime(2026, 4, 10, 11, m, tzinfo=UTC) for m in (40, 25, 10)]
    before = _created(get_all(client, url + "?end=2026-04-09"))
    assert max(before) == datetime(2026, 4, 9, 23, 55, tzinfo=UTC)


def test_end_date_is_inclusive_of_last_second(client: FlaskClient, ctx: SimContext) -> None:
    cam = ctx.state.camera(7, "D-0002")
    assert cam is not None
    late = datetime(2026, 4, 8, 23, 59, 59, 500000, tzinfo=UTC)
    log = ctx.state.add_log(cam, "offline", {}, late, None)
    items = get_all(client, API + "7/logs/?serial=D-0002&start=2026-04-08&end=2026-04-08")
    assert log.id in [i["id"] for i in items]
    items = get_all(client, API + "7/logs/?serial=D-0002&start=2026-04-09")
    assert log.id not in [i["id"] for i in items]


def test_naive_timestamp_in_configured_timezone(make_app: object) -> None:
    app = make_app(timezone="Europe/Berlin")  # type: ignore[operator]
    client = app.test_client()
    url = API + "7/cameras/camera1/logs/?start=2026-04-10T13:40:00&end=2026-04-10T13:40:00"
    items = get_all(client, url)
    assert [i["created"] for i in items] == ["2026-04-10T13:40:00+02:00"]
    items = get_all(client, API + "7/cameras/camera1/logs/?start=2026-04-10T13:40:00Z")
    assert items == []
