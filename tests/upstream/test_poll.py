"""Polling mode: alerts created in the simulator reach a receiver without any webhook,
exactly once, across pagination and a restart; one replica polls at a time."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from router.cli.main import main
from router.clock import ManualClock
from router.pipeline.runtime import Runtime
from router.pipeline.worker import Worker
from router.simulator import SimulatorConfig, SimulatorServer
from router.store.schema import alerts
from router.store.schema_upstream import poll_cursors, polled_alerts
from router.upstream import build_upstream
from router.upstream.poller import Poller
from tests.simulator.wiring import (
    FakeSleep,
    api_requests,
    create_alert,
    drain,
    log_rules,
    sim_stats,
    upstream_settings,
)
from tests.support.httpsink import HttpSink

BODY = ("{% for e in events %}<{{ e.serial }}|{{ e.upstream_alert_id }}|{{ e.enriched }}>"
        "{% endfor %}")
CAMERAS = [("LIC-ABC123", "Q2GV-ABCD-1234"), ("LIC-ABC123", "C1"), ("LIC-ABC123", "Q2GV-MOVE-0004"),
           ("LIC-XYZ789", "D-0002"), ("LIC-XYZ789", "D-0003"), ("LIC-ABC123", "Q2GV-BLUR-0005"),
           ("LIC-XYZ789", "D-0004"), ("LIC-XYZ789", "D-0005")]


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(rate_limit=0)) as server:
        yield server


def _replica(make_runtime: Callable[..., Runtime], sim: SimulatorServer, clock: ManualClock,
             owner: str) -> tuple[Runtime, Poller]:
    """One router process: its own runtime and upstream (small pages) on the shared store."""
    runtime = make_runtime(clock=clock, **upstream_settings(sim, poll_interval=5))
    upstream = build_upstream(runtime.settings, runtime.db, clock, sleep=FakeSleep(clock),
                              page_size=2)
    return runtime, Poller(runtime, upstream, owner=owner)


def _fire(sim: SimulatorServer, cameras: list[tuple[str, str]]) -> dict[str, int]:
    return {serial: create_alert(sim, code, [{"serial": serial,
                                              "anomalies": {"Obstruction": 0.8}}])["id"]
            for code, serial in cameras}


def _received(sink: HttpSink) -> list[tuple[str, int, str]]:
    text = "".join(r.json()["message"] for r in sink.requests)
    return [(s, int(i), e) for s, i, e in re.findall(r"<([^|]+)\|(\d+)\|(\w+)>", text)]


def test_polled_alerts_reach_the_receiver_once_across_pages_and_a_restart(
        make_runtime: Callable[..., Runtime], rules_path: Path, sim: SimulatorServer) -> None:
    clock = ManualClock(time.time())
    with HttpSink() as sink:
        log_rules(rules_path, f"json://127.0.0.1:{sink.port}/hook", body=BODY)
        runtime, poller = _replica(make_runtime, sim, clock, "replica-1")
        first = _fire(sim, CAMERAS[:5])  # 3 + 2 alerts: two pages for the first license

        assert poller.step() == 5
        assert poller.step() == 0  # listed again from the (inclusive) cursor: fed once
        drain(Worker(runtime), runtime, clock=clock, until=lambda: len(_received(sink)) >= 5)

        # A restart: a new process with a new owner; the old lease must run out first.
        runtime2, poller2 = _replica(make_runtime, sim, clock, "replica-1-restarted")
        assert poller2.step() == 0
        second = _fire(sim, CAMERAS[5:])
        clock.advance(31)
        assert poller2.step() == 3
        drain(Worker(runtime2), runtime2, clock=clock, until=lambda: len(_received(sink)) >= 8)

    expected = {**first, **second}
    assert sorted(_received(sink)) == sorted((s, i, "True") for s, i in expected.items())
    with runtime2.db.read() as conn:
        sources = conn.execute(select(alerts.c.source)).scalars().all()
        fed = dict(conn.execute(select(polled_alerts.c.upstream_alert_id,
                                       polled_alerts.c.alert_id)).all())
        cursors = conn.execute(select(poll_cursors.c.license_id)).scalars().all()
    assert sources == ["poll"] * 8
    assert sorted(fed) == sorted(expected.values()) and len(set(fed.values())) == 8
    assert sorted(cursors) == [5, 7]


def test_only_the_lease_holder_polls(make_runtime: Callable[..., Runtime],
                                     sim: SimulatorServer) -> None:
    clock = ManualClock(time.time())
    _, one = _replica(make_runtime, sim, clock, "replica-1")
    _, two = _replica(make_runtime, sim, clock, "replica-2")
    _fire(sim, CAMERAS[:1])
    assert one.step() == 1
    before = api_requests(sim_stats(sim))
    assert two.step() == 0
    assert api_requests(sim_stats(sim)) == before  # the other replica did not even ask
    clock.advance(31)  # replica-1 died without releasing: replica-2 takes over
    _fire(sim, CAMERAS[1:2])
    assert two.step() == 1


def test_serve_poll_needs_a_token(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--poll"], env={
        "ROUTER_VISIONALERT_TOKEN": "", "ROUTER_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert result.exit_code == 1
    assert "--poll lists alerts through the VisionAlert API: set ROUTER_VISIONALERT_TOKEN" \
        in result.output


