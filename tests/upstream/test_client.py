"""The VisionAlert API client against the simulator as a real HTTP server.

Time runs on a ManualClock: retry and rate-limit waits advance it instead of
sleeping, and are recorded, so backoff and Retry-After are checked exactly.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from router.clock import ManualClock
from router.settings import Settings
from router.simulator import SimulatorConfig, SimulatorServer
from router.store.db import Database
from router.store.migrate import upgrade
from router.upstream import (
    CircuitOpen,
    Upstream,
    UpstreamRejected,
    UpstreamThrottled,
    UpstreamUnavailable,
    build_upstream,
)
from tests.simulator.wiring import TOKEN, FakeSleep, create_alert, sim_stats
from tests.support.httpsink import unused_port

Make = Callable[..., Upstream]


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(rate_limit=0)) as server:
        yield server


@pytest.fixture(autouse=True)
def _clean(sim: SimulatorServer) -> None:
    httpx.delete(sim.url + "/_sim/faults")
    httpx.post(sim.url + "/_sim/reset-stats")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sleep(clock: ManualClock) -> FakeSleep:
    return FakeSleep(clock)


@pytest.fixture
def make(tmp_path: Path, sim: SimulatorServer, clock: ManualClock,
         sleep: FakeSleep) -> Iterator[Make]:
    db = Database(f"sqlite:///{tmp_path / 'up.db'}")
    upgrade(db)
    made: list[Upstream] = []

    def factory(page_size: int = 200, transport: httpx.BaseTransport | None = None,
                **overrides: object) -> Upstream:
        values: dict[str, object] = {"visionalert_url": sim.base_url,
                                     "visionalert_token": TOKEN, "visionalert_rps": 1.0}
        values.update(overrides)
        upstream = build_upstream(Settings.from_env({}, **values), db, clock, sleep=sleep,
                                  transport=transport, page_size=page_size)
        made.append(upstream)
        return upstream

    yield factory
    for upstream in made:
        upstream.close()
    db.dispose()


def test_typed_licenses_and_pages_followed_through_next(make: Make, sim: SimulatorServer) -> None:
    up = make(page_size=2)
    codes = {lic.code: lic.id for lic in up.client.licenses()}
    assert codes == {"LIC-ABC123": 5, "LIC-XYZ789": 7}
    pages = list(up.client.alerts(5, start=None))
    alerts = [a for page in pages for a in page]
    assert [len(p) for p in pages] == [2, 2, 2]  # the built-in scenario's six alerts
    assert [a.created_ts for a in alerts] == sorted((a.created_ts for a in alerts), reverse=True)
    scored = next(a for a in alerts if len(a.cameras) == 2)
    assert scored.cameras[0].anomalies == {"Blur": 0.87, "Obstruction": 0.65}
    assert scored.cameras[0].snapshot and scored.cameras[0].snapshot.startswith(sim.url)
    # Page 2 and 3 were fetched from the ``next`` URLs exactly as the server gave them.
    assert sim_stats(sim)["requests"]["GET /v1/vision-alert/<int:license_id>/alerts/"] == 3


def test_start_filter_and_reference(make: Make, sim: SimulatorServer) -> None:
    up = make()
    fresh = create_alert(sim, "LIC-ABC123", [{"serial": "C1", "anomalies": {"Glare": 0.5}}])
    listed = [a.id for page in up.client.alerts(5, start=fresh["created"]) for a in page]
    assert listed == [fresh["id"]]
    assert up.client.reference(5, "Q2GV-EFGH-5678") is None  # the camera without reference
    assert str(up.client.reference(5, "C1")).startswith(sim.url + "/media/camera_reference/")


def test_5xx_is_retried_with_growing_jittered_backoff(make: Make, sim: SimulatorServer,
                                                      sleep: FakeSleep) -> None:
    up = make(visionalert_attempts=4)
    up.client._rng = random.Random(1)
    httpx.put(sim.url + "/_sim/faults", json={"next_errors": 3, "error_status": 502})
    assert len(up.client.licenses()) == 2
    backoffs = [s for s in sleep.calls if s < 0.9]  # rate-limit waits are ~1.1 s
    assert len(backoffs) == 3
    assert backoffs[0] <= 0.5 and backoffs[1] <= 1.0 and backoffs[2] <= 2.0
    assert sim_stats(sim)["statuses"] == {"502": 3, "200": 1}


def test_429_retry_after_blocks_every_caller_of_the_account(make: Make, sim: SimulatorServer,
                                                           clock: ManualClock,
                                                           sleep: FakeSleep) -> None:
    up, other = make(), make()  # two processes of one account share the store row
    httpx.put(sim.url + "/_sim/faults", json={"next_429": 1, "retry_after": 7})
    before = clock.now()
    assert len(up.client.licenses()) == 2
    assert clock.now() - before >= 7  # waited out Retry-After before the second try
    assert max(sleep.calls) >= 7 - 0.001
    httpx.put(sim.url + "/_sim/faults", json={"next_429": 1, "retry_after": 30})
    with pytest.raises(UpstreamThrottled) as caught:
        make(visionalert_attempts=1).client.licenses()
    assert "429" in str(caught.value) and caught.value.retry_after == 30
    # The other caller has not even asked, yet it is held back by the shared block.
    with pytest.raises(UpstreamThrottled, match="booked up"):
        other.client.licenses()


def test_connection_refused(make: Make, sleep: FakeSleep) -> None:
    up = make(visionalert_url=f"http://127.0.0.1:{unused_port()}/v1/vision-alert/")
    with pytest.raises(UpstreamUnavailable, match=r"connection refused.*after 3 attempts"):
        up.client.licenses()


def test_timeout(make: Make, sim: SimulatorServer) -> None:
    httpx.put(sim.url + "/_sim/faults", json={"hang": 5, "hang_next": 1})
    up = make(visionalert_timeout=0.2, visionalert_attempts=1)
    with pytest.raises(UpstreamUnavailable, match="timed out"):
        up.client.licenses()
    httpx.delete(sim.url + "/_sim/faults")  # releases the hanging request


def test_rejections_are_not_retried(make: Make, sim: SimulatorServer) -> None:
    with pytest.raises(UpstreamRejected, match="401 Invalid token") as caught:
        make(visionalert_token="wrong").client.licenses()
    assert caught.value.status == 401
    with pytest.raises(UpstreamRejected, match="403"):
        make().client.reference(9, "O-0001")  # another user's license
    assert sim_stats(sim)["statuses"] == {"401": 1, "403": 1}


def test_breaker_opens_fails_fast_then_one_trial_closes_it(make: Make, sim: SimulatorServer,
                                                          clock: ManualClock) -> None:
    up = make(visionalert_attempts=1, visionalert_breaker_failures=2,
              visionalert_breaker_seconds=30)
    httpx.put(sim.url + "/_sim/faults", json={"next_errors": 2})
    for _ in range(2):
        with pytest.raises(UpstreamUnavailable):
            up.client.licenses()
    with pytest.raises(CircuitOpen, match=r"after 2 failures.*error 503") as caught:
        up.client.licenses()
    assert caught.value.retry_at > clock.now()
    assert sim_stats(sim)["total"] == 2  # failing fast: no request went out
    clock.advance(31)
    assert len(up.client.licenses()) == 2  # the trial call succeeds and closes it
    assert len(up.client.licenses()) == 2


def test_breaker_trial_failure_reopens(make: Make, sim: SimulatorServer,
                                       clock: ManualClock) -> None:
    up = make(visionalert_attempts=1, visionalert_breaker_failures=1,
              visionalert_breaker_seconds=10)
    httpx.put(sim.url + "/_sim/faults", json={"next_errors": 2})
    with pytest.raises(UpstreamUnavailable):
        up.client.licenses()
    clock.advance(11)
    with pytest.raises(UpstreamUnavailable):
        up.client.licenses()  # the trial
    with pytest.raises(CircuitOpen):
        up.client.licenses()


def test_next_link_to_another_host_is_refused(make: Make) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"next": "https://elsewhere.example/steal?cursor=x",
                                         "previous": None, "results": []})

    up = make(transport=httpx.MockTransport(answer))
    with pytest.raises(UpstreamRejected, match="another host"):
        list(up.client.alerts(5, start=None))


def test_undocumented_answer_is_a_clear_error(make: Make) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[{"code": "LIC-1"}])

    up = make(transport=httpx.MockTransport(answer))
    with pytest.raises(UpstreamRejected,
                       match=r"licenses/\[0\] is not as documented: id: Field required"):
        up.client.licenses()


def test_token_is_never_in_errors_or_rows(make: Make, tmp_path: Path) -> None:
    up = make(visionalert_url=f"http://127.0.0.1:{unused_port()}/v1/vision-alert/",
              visionalert_attempts=1)
    with pytest.raises(UpstreamUnavailable) as caught:
        up.client.licenses()
    assert TOKEN not in str(caught.value)
    assert TOKEN.encode() not in (tmp_path / "up.db").read_bytes()
