"""The router wired to a real simulator: scenarios, settings and loops for the upstream tests."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import func, select

from router.clock import ManualClock
from router.pipeline.runtime import Runtime
from router.simulator import SimulatorServer
from router.store.schema import PENDING, alerts, camera_events
from tests.support.sends import wait_for_sends

if TYPE_CHECKING:
    from router.pipeline.worker import Worker

TOKEN = "demo-token"
# One client for every control call: a new httpx client costs ~40 ms (its TLS context).
HTTP = httpx.Client(timeout=10)


def fleet_scenario(licenses: int, cameras: int, *, no_reference: tuple[str, ...] = ()
                   ) -> dict[str, Any]:
    """``licenses`` licenses LIC-0.. with ``cameras`` cameras in total (serials C000..)."""
    per = cameras // licenses
    return {"users": [{"email": "fleet@example.com", "token": TOKEN, "licenses": [
        {"code": f"LIC-{n}", "id": 10 + n, "cameras": [
            {"serial": f"C{i:03d}", "name": f"Camera {i:03d}", "tags": [f"site-{n}"],
             "notes": f"note {i}", "history": None,
             "references": [] if f"C{i:03d}" in no_reference else ["-30d"]}
            for i in range(n * per, (n + 1) * per)]}
        for n in range(licenses)]}]}


def upstream_settings(sim: SimulatorServer, **more: object) -> dict[str, object]:
    """Settings that point the router at ``sim`` (keyword overrides win)."""
    values: dict[str, object] = {"visionalert_url": sim.base_url, "visionalert_token": TOKEN}
    values.update(more)
    return values


def create_alert(sim: SimulatorServer, license_code: str, cameras: list[Any],
                 **extra: Any) -> dict[str, Any]:
    """Create an upstream alert now; the answer includes its ``webhook_payload``."""
    answer = HTTP.post(sim.url + "/_sim/alerts",
                       json={"license": license_code, "cameras": cameras, **extra})
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


def sim_stats(sim: SimulatorServer) -> dict[str, Any]:
    stats: dict[str, Any] = HTTP.get(sim.url + "/_sim/stats").json()
    return stats


def api_requests(stats: dict[str, Any]) -> int:
    """Requests to the VisionAlert API (media and controls excluded)."""
    return sum(n for key, n in stats["requests"].items() if "/v1/vision-alert/" in key)


def log_rules(path: Path, sink_url: str, body: str | None = None) -> None:
    """One catch-all route to ``sink_url``; optional custom body template."""
    custom = f"\n    body: {body!r}" if body else ""
    path.write_text(textwrap.dedent("""\
        receivers:
          hook:
            urls: ["{url}"]{custom}
        routes:
          - name: everything
            receivers: [hook]
            group_wait: 0
            group_interval: 1s
        """).format(url=sink_url, custom=custom))


def pending(runtime: Runtime) -> int:
    with runtime.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(alerts)
                                .where(PENDING)).scalar_one())


def enriched_count(runtime: Runtime) -> tuple[int, int]:
    """(enriched camera events, all camera events)."""
    with runtime.db.read() as conn:
        rows = conn.execute(select(camera_events.c.enriched)).scalars().all()
    return sum(bool(r) for r in rows), len(rows)


def drain(worker: Worker, runtime: Runtime, *, clock: ManualClock | None = None,
          step: float = 1.0, timeout: float = 60.0,
          until: Callable[[], bool] | None = None) -> None:
    """Run the worker until the inbox is empty (and ``until`` holds).

    With a ManualClock, time advances by ``step`` whenever the worker is idle, so
    released entries come back without waiting; otherwise real time passes.
    """
    deadline = time.monotonic() + timeout
    done = until or (lambda: True)
    while time.monotonic() < deadline:
        busy = worker.step()
        wait_for_sends(worker)
        if not busy:
            if pending(runtime) == 0 and done():
                return
            if clock is not None:
                clock.advance(step)
            else:
                time.sleep(0.05)
    raise AssertionError(f"inbox not drained in {timeout}s: {pending(runtime)} pending")


class FakeSleep:
    """``sleep`` for the upstream client on a ManualClock: records and advances."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(seconds)
