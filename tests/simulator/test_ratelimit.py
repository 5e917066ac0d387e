from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from router.clock import ManualClock
from router.simulator.ratelimit import RateLimiter, throttled_detail

from .conftest import API, DEMO, OTHER


def test_limiter_window(clock: ManualClock) -> None:
    limiter = RateLimiter(1, clock)
    assert limiter.check("a") is None
    assert limiter.check("a") == 1
    assert limiter.check("b") is None
    clock.advance(0.5)
    assert limiter.check("a") == 1  # ceil(0.5)
    clock.advance(0.5)
    assert limiter.check("a") is None


def test_limiter_rates(clock: ManualClock) -> None:
    five = RateLimiter(5, clock)
    assert [five.check("a") for _ in range(6)] == [None] * 5 + [1]
    slow = RateLimiter(0.25, clock)  # one request per 4 seconds
    assert slow.check("a") is None and slow.check("a") == 4
    off = RateLimiter(0, clock)
    assert all(off.check("a") is None for _ in range(100))


def test_detail_plural() -> None:
    assert throttled_detail(3) == "Request was throttled. Expected available in 3 seconds."


def test_every_endpoint_is_throttled_and_counted(make_app: Any, clock: ManualClock) -> None:
    client: FlaskClient = make_app(rate_limit=1).test_client()
    assert client.get(API + "licenses/", headers=DEMO).status_code == 200
    for path in ("licenses/", "5/cameras/", "5/logs/", "5/alerts/", "5/cameras/C1/reference/"):
        resp = client.get(API + path, headers=DEMO)
        assert resp.status_code == 429 and resp.headers["Retry-After"] == "1"
    assert client.get(API + "licenses/", headers=OTHER).status_code == 200
    assert client.get(API + "licenses/").status_code == 401  # auth is checked first
    # media and controls are not throttled
    assert client.get("/_sim/stats").status_code == 200
    stats = client.get("/_sim/stats").json
    assert stats["responses_429"] == 5 and stats["throttled"] == 5
    assert stats["requests"]["GET /v1/vision-alert/licenses/"] == 4
    assert stats["statuses"] == {"200": 2, "429": 5, "401": 1}
    clock.advance(1)
    assert client.get(API + "5/alerts/", headers=DEMO).status_code == 200
    assert client.post("/_sim/reset-stats").json["total"] == 0


def test_rate_limit_can_change_at_runtime(make_app: Any) -> None:
    client: FlaskClient = make_app(rate_limit=1).test_client()
    assert client.put("/_sim/rate-limit", json={"rate": 0}).json == {"rate": 0.0}
    assert all(client.get(API + "licenses/", headers=DEMO).status_code == 200 for _ in range(5))
    assert client.put("/_sim/rate-limit", json={"rate": -1}).status_code == 400
