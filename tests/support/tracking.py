"""The router, in-process on a manual clock, watching a real simulator's fleet: webhooks
come from the simulator's alerts, the state tracker reads its license logs, and the
worker routes, flushes and sends to a local sink. One clock drives both sides."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from router.app import create_app
from router.clock import ManualClock
from router.pipeline.runtime import Runtime
from router.pipeline.worker import Worker
from router.simulator import SimulatorConfig, SimulatorServer
from router.store.schema import camera_events, decisions
from router.store.schema_groups import incidents
from router.upstream import build_upstream
from router.upstream.tracker import Tracker
from tests.simulator.wiring import HTTP, FakeSleep, create_alert, fleet_scenario, upstream_settings
from tests.support.httpsink import HttpSink
from tests.support.sends import wait_for_sends

START = 1_800_000_000.0
_SERIAL = re.compile(r"\bC\d{3,5}\b")


def hook_rules(sink: HttpSink, *, names: Sequence[str] = ("hook",), extra: str = "",
               route: str = "") -> str:
    receivers = "\n".join(f'  {n}: {{urls: ["json://127.0.0.1:{sink.port}/{n}"]}}'
                          for n in names)
    return (f"receivers:\n{receivers}\nroutes:\n  - name: cameras\n"
            f"    receivers: [{', '.join(names)}]\n"
            + textwrap.indent(textwrap.dedent(route).strip("\n"), "    ") + "\n"
            + textwrap.dedent(extra))


class Watched:
    """One router replica (runtime, worker, tracker) and the simulator it watches."""

    def __init__(self, sim: SimulatorServer, clock: ManualClock, runtime: Runtime,
                 owner: str = "replica-1") -> None:
        self.sim, self.clock, self.runtime = sim, clock, runtime
        self.sleep = FakeSleep(clock)
        runtime.upstream = build_upstream(runtime.settings, runtime.db, clock, sleep=self.sleep)
        self.worker = Worker(runtime, owner=f"{owner}:worker")
        self.tracker = Tracker(runtime, runtime.upstream, owner=f"{owner}:tracker")
        self.client: FlaskClient = create_app(runtime=runtime).test_client()
        self._next_round = clock.now()

    # -- the fleet ------------------------------------------------------------------
    def alert(self, license: str, cameras: list[dict[str, Any]]) -> int:
        """An upstream alert, posted to the router as VisionAlert's webhook."""
        made = create_alert(self.sim, license, cameras)
        answer = self.client.post("/webhooks/visionalert", json=made["webhook_payload"])
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return int(answer.get_json()["alert_id"])

    def log(self, license: str, serial: str, status: str = "normal",
            anomalies: dict[str, float] | None = None) -> None:
        """A monitoring log upstream, created now (no webhook)."""
        answer = HTTP.post(self.sim.url + "/_sim/logs", json={
            "license": license, "serial": serial, "status": status,
            "anomalies": anomalies or {}})
        assert answer.status_code == 201, answer.text

    # -- time -----------------------------------------------------------------------
    def run(self) -> None:
        """Tracker round when due; route, flush and send everything due now."""
        if self.runtime.settings.state_interval and self.clock.now() >= self._next_round:
            self._next_round = self.clock.now() + self.runtime.settings.state_interval
            self.tracker.step()
        while self.worker.step():
            wait_for_sends(self.worker)

    def advance(self, seconds: float, step: float = 10.0) -> None:
        """Let ``seconds`` pass in steps, running everything due at each."""
        left = seconds
        while left > 0:
            self.clock.advance(min(step, left))
            left -= step
            self.run()

    # -- what happened ----------------------------------------------------------------
    def codes(self) -> list[tuple[str, str]]:
        stmt = (select(camera_events.c.serial, decisions.c.code)
                .join(camera_events, camera_events.c.id == decisions.c.camera_event_id)
                .where(decisions.c.code.is_not(None)).order_by(decisions.c.id))
        with self.runtime.db.read() as conn:
            return [(r.serial, r.code) for r in conn.execute(stmt)]

    def incidents(self) -> list[Any]:
        with self.runtime.db.read() as conn:
            return list(conn.execute(select(incidents).order_by(incidents.c.id)))


def messages(sink: HttpSink, path: str | None = None) -> list[dict[str, Any]]:
    return [r.json() for r in sink.requests if path is None or r.path == path]


def serials_in(message: dict[str, Any]) -> set[str]:
    return set(_SERIAL.findall(json.dumps(message)))


@contextmanager
def watched(make_runtime: Callable[..., Runtime], rules_path: Path, rules: str, *,
            licenses: int = 1, cameras: int = 20, rate_limit: float = 0.0,
            **settings: object) -> Iterator[Watched]:
    clock = ManualClock(START)
    rules_path.write_text(rules)
    config = SimulatorConfig(scenario=fleet_scenario(licenses, cameras), rate_limit=rate_limit)
    with SimulatorServer(config, clock=clock) as sim:
        values: dict[str, object] = {"state_interval": 60.0, **settings}
        runtime = make_runtime(clock=clock, **upstream_settings(sim, **values))
        yield Watched(sim, clock, runtime)
