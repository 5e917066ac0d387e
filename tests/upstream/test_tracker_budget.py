"""The state tracker's budget at fleet scale: 3 licenses x 5,000 cameras logging every
15 minutes, against the simulator's 1 request/second, while webhooks are enriched.

Everything runs on one ManualClock in one thread, as a discrete-event simulation:
the tracker's waits for its share of the limiter (BackgroundLimiter.sleep) let the
rest of the world run meanwhile (camera logs appear, webhooks arrive, the worker
enriches), as they would while a tracker thread sleeps. The worker's own waits
(FakeSleep) just advance the clock: a webhook due meanwhile arrives when it ends,
in both runs alike.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from router.clock import iso, utc
from router.pipeline.runtime import Runtime
from router.simulator.state import Log, State
from router.store import tracked
from router.store.schema import alerts, camera_events
from router.store.schema_upstream import state_cursors
from router.upstream.ratelimit import SLACK
from tests.simulator.wiring import sim_stats
from tests.support.sends import wait_for_sends
from tests.support.tracking import START, Watched, watched

CADENCE = 900.0  # every camera logs every 15 minutes
LOGS = "GET /v1/vision-alert/<int:license_id>/logs/"
RULES = """\
receivers:
  console: {urls: ["log://"]}
routes:
  - name: everything
    receivers: [console]
    group_by: [camera]
    group_wait: 0s
    group_interval: 1m
"""


def index_latest_logs(state: State) -> None:
    """Make the simulator's per-camera "latest log" O(1) (the camera directory asks it
    for every camera of a page): same answers, indexed. Test harness speed only."""
    latest: dict[int, Log] = {}
    for log in state.logs.values():
        if log.camera_id not in latest or (log.created, log.id) > (
                latest[log.camera_id].created, latest[log.camera_id].id):
            latest[log.camera_id] = log
    real_add = state.add_log

    def add_log(camera: Any, *args: Any, **kwargs: Any) -> Log:
        log = real_add(camera, *args, **kwargs)
        best = latest.get(camera.id)
        if best is None or (log.created, log.id) > (best.created, best.id):
            latest[camera.id] = log
        return log

    state.add_log = add_log  # type: ignore[method-assign]
    state.latest_log = latest.get  # type: ignore[assignment]


@contextmanager
def indexed_cameras() -> Iterator[None]:
    """Simulator camera lookups by (license, serial) through an index while inside
    (seeding 15,000 cameras checks each for duplicates: quadratic otherwise). Same
    answers; no camera is deleted here. Test harness speed only."""
    real_add, real_camera = State.add_camera, State.camera

    def add_camera(self: State, license_id: int, serial: str, *args: Any, **kw: Any) -> Any:
        cam = real_add(self, license_id, serial, *args, **kw)
        self.__dict__.setdefault("_by_serial", {})[(license_id, serial)] = cam
        return cam

    def camera(self: State, license_id: int, serial: str) -> Any:
        return self.__dict__.setdefault("_by_serial", {}).get((license_id, serial))

    State.add_camera = add_camera  # type: ignore[method-assign]
    State.camera = camera  # type: ignore[method-assign]
    try:
        yield
    finally:
        State.add_camera, State.camera = real_add, real_camera  # type: ignore[method-assign]


@dataclass
class World:
    """The fleet's log schedule, timed events, the worker and the tracker on one clock."""

    site: Watched
    tracker_on: bool
    step: float = 1.0
    # serial -> [(from, status)]: what the camera's periodic logs say from then on
    statuses: dict[str, list[tuple[float, str]]] = field(default_factory=dict)
    delivered: list[tuple[float, Any]] = field(default_factory=list)  # (sim time, sink request)
    rounds: list[dict[int, int]] = field(default_factory=list)  # per round: license -> requests
    sink: Any = None
    reads: list[tuple[int, float, int, int]] = field(default_factory=list)  # id, t, pages, logs
    _events: list[tuple[float, int, Callable[[], None]]] = field(default_factory=list)
    _seq: Iterator[int] = field(default_factory=itertools.count)
    _logs: list[tuple[float, Any]] = field(default_factory=list)
    _next_log: int = 0
    _next_round: float = 0.0
    _seen: int = 0

    def __post_init__(self) -> None:
        state = self.site.sim.context.state
        index_latest_logs(state)
        bg = self.site.runtime.upstream.background
        bg.limiter.sleep = self.wait  # type: ignore[attr-defined]
        real_logs = bg.logs

        def counted(license_id: int, *, start: str) -> Iterator[Any]:
            n = got = 0
            began = self.site.clock.now()
            for page in real_logs(license_id, start=start):
                n, got = n + 1, got + len(page)
                yield page
            self.rounds[-1][license_id] = n
            self.reads.append((license_id, began, n, got))

        bg.logs = counted  # type: ignore[method-assign]
        self._next_round = self.site.clock.now()

    # -- set-up ---------------------------------------------------------------------
    def schedule_logs(self, until: float, history: float = CADENCE + 120.0) -> None:
        """Every camera logs every CADENCE s, phases spread evenly over the cadence;
        logs from ``history`` s ago are there at once, the rest appear on time."""
        state, now = self.site.sim.context.state, self.site.clock.now()
        with state.lock:
            cameras = sorted(state.cameras.values(), key=lambda c: (c.license_id, c.id))
        per: dict[int, list[Any]] = {}
        for cam in cameras:
            per.setdefault(cam.license_id, []).append(cam)
        times: list[tuple[float, Any]] = []
        for cams in per.values():
            for j, cam in enumerate(cams):
                t = now - history + (j * CADENCE / len(cams)) - CADENCE
                while t <= until:
                    if t > now - history:
                        times.append((round(t, 3), cam))
                    t += CADENCE
        times.sort(key=lambda x: (x[0], x[1].id))
        self._logs = times
        self._emit(now)

    def at(self, when: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._events, (when, next(self._seq), action))

    # -- time -----------------------------------------------------------------------
    def _emit(self, upto: float) -> None:
        state = self.site.sim.context.state
        with state.lock:
            while self._next_log < len(self._logs) and self._logs[self._next_log][0] <= upto:
                t, cam = self._logs[self._next_log]
                self._next_log += 1
                status = "normal"
                for since, s in self.statuses.get(cam.serial, []):
                    if since <= t:
                        status = s
                state.add_log(cam, status, {}, utc(t), None)

    def _work(self) -> None:
        worker = self.site.worker
        while worker.step():
            wait_for_sends(worker)
        if self.sink is not None:
            got = self.sink.requests
            now = self.site.clock.now()
            self.delivered += [(now, r) for r in got[self._seen:]]
            self._seen = len(got)

    def advance_to(self, until: float) -> None:
        clock = self.site.clock
        while self._events and self._events[0][0] <= until:
            when, _, action = heapq.heappop(self._events)
            if when > clock.now():
                clock.advance(when - clock.now())
            self._emit(clock.now())
            action()
            self._work()
        if until > clock.now():
            clock.advance(until - clock.now())
        self._emit(clock.now())
        self._work()

    def wait(self, seconds: float) -> None:
        """The tracker waits for its share: the world goes on meanwhile."""
        self.advance_to(self.site.clock.now() + seconds)

    def run_until(self, end: float) -> None:
        clock = self.site.clock
        while clock.now() < end:
            if self.tracker_on and clock.now() >= self._next_round:
                self.rounds.append({})
                self.site.tracker.step()
                self._next_round = clock.now() + self.site.runtime.settings.state_interval
            self.advance_to(min(end, clock.now() + self.step))


def latencies(runtime: Runtime) -> list[float]:
    """Per webhook, in arrival order: simulated seconds from receipt to its camera event
    recorded (enriched or not)."""
    stmt = (select(alerts.c.id, alerts.c.received_at, camera_events.c.created_at,
                   camera_events.c.enriched)
            .join(camera_events, camera_events.c.alert_id == alerts.c.id).order_by(alerts.c.id))
    with runtime.db.read() as conn:
        rows = list(conn.execute(stmt))
    assert all(r.enriched for r in rows), [r.id for r in rows if not r.enriched]
    return [r.created_at - r.received_at for r in rows]


WEBHOOK_EVERY = 20.0
# 5 simulated minutes (the brief suggested 15): recording a round costs the router
# ~1.5 ms of SQLite per camera (tracked.record_round), and the test must stay ~60 s.
DURATION = 5 * 60.0
SLOT = 1.0 * (1 + SLACK)  # one request slot at 1 rps, as the limiter spaces them


@dataclass
class Outcome:
    latencies: list[float]
    stats: dict[str, Any]
    rounds: list[dict[int, int]]
    reads: list[tuple[int, float, int, int]]
    cursors: list[Any]


def fleet_run(make_runtime: Callable[..., Runtime], rules_path: Path, *,
              tracker_on: bool, steady: bool = True) -> Outcome:
    with indexed_cameras(), watched(
            make_runtime, rules_path, RULES, licenses=3, cameras=15000, rate_limit=1.0,
            state_interval=60.0 if tracker_on else 0.0) as site:
        world = World(site, tracker_on=tracker_on, step=5.0)
        start = site.clock.now()
        if tracker_on and steady:  # as if a round had run a minute ago: steady rounds only
            for lic in range(3):
                tracked.record_round(site.runtime.db, account=site.tracker.account,
                                     license_id=10 + lic, license=f"LIC-{lic}", logs=[],
                                     newest=iso(start - 60), now=start - 60)
        world.schedule_logs(until=start + DURATION + 300)
        for i in range(int(DURATION / WEBHOOK_EVERY)):
            lic = i % 3
            serial = f"C{lic * 5000 + (i * 37) % 5000:03d}"
            world.at(start + 5 + i * WEBHOOK_EVERY,
                     lambda lic=lic, serial=serial: site.alert(f"LIC-{lic}", [
                         {"serial": serial, "anomalies": {"Obstruction": 0.9}}]) and None)
        world.run_until(start + DURATION + 60)
        with site.runtime.db.read() as conn:
            cursors = list(conn.execute(select(state_cursors)))
        return Outcome(latencies(site.runtime), sim_stats(site.sim), world.rounds, world.reads,
                       cursors)


@pytest.mark.timeout(300)
def test_the_tracker_reads_5000_cameras_per_license_within_its_share_without_slowing_enrichment(
        make_runtime: Callable[..., Runtime], rules_path: Path, tmp_path: Path) -> None:
    off = fleet_run(make_runtime, rules_path, tracker_on=False)
    on = fleet_run(lambda **kw: make_runtime(database_url=f"sqlite:///{tmp_path / 'on.db'}",
                                             **kw), rules_path, tracker_on=True)
    webhooks = int(DURATION / WEBHOOK_EVERY)
    for run in (off, on):
        assert run.stats["responses_429"] == 0, run.stats
        assert len(run.latencies) == webhooks  # every webhook enriched (latencies() checks)
    # Not paired per webhook: the 5-minute directory re-walk (25 pages) falls on a
    # different webhook when the tracker shifts the clock; compare the distributions.
    print(f"\nenrichment latency, simulated s: off max {max(off.latencies):.2f} "
          f"mean {sum(off.latencies) / webhooks:.2f}; on max {max(on.latencies):.2f} "
          f"mean {sum(on.latencies) / webhooks:.2f}; median off {_median(off.latencies):.2f} "
          f"on {_median(on.latencies):.2f}")
    assert max(on.latencies) <= max(off.latencies) + SLOT
    assert sum(on.latencies) / webhooks <= sum(off.latencies) / webhooks + SLOT
    assert _median(on.latencies) <= _median(off.latencies) + SLOT

    assert off.stats["requests"].get(LOGS, 0) == 0
    assert {c.license_id for c in on.cursors
            if c.checked_at is not None and c.checked_at > START and c.error is None
            } == {10, 11, 12}
    assert all(len(r) == 3 for r in on.rounds), on.rounds
    steady = [n for r in on.rounds for n in r.values()]
    print(f"tracker requests per round per license (steady, cursor a minute old): max "
          f"{max(steady)} mean {sum(steady) / len(steady):.2f} over {len(on.rounds)} rounds; "
          f"log requests {on.stats['requests'].get(LOGS, 0)}")
    print(f"per round: {on.rounds}; reads (license, sim t - start, pages, logs): "
          f"{[(i, round(t - START), n, g) for i, t, n, g in on.reads]}")
    # Minimal pages for what it had to read (200 a page, one more to see the end)...
    assert all(n <= g // 200 + 1 for _, _, n, g in on.reads), on.reads
    # ...and a steady round is a few pages. A round that waited behind enrichment (the
    # 25-page directory re-walk) reads a longer window: 7 pages seen, see the report.
    assert _median(steady) <= 6


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]
