"""The camera state tracker in a real `serve` process, against the simulator as a server.

VisionAlert posts a webhook for a problem and never one for the recovery: the
tracker reads the license logs every ``ROUTER_STATE_INTERVAL`` (1 s here) and
resolves the incident once a normal log newer than the problem shows up.
Reminders repeat a still-open incident with no new webhook until it is
acknowledged. Everything runs in real time, with bounded waits (no fixed sleep
decides an assertion).

The helpers here are shared with ``test_tracker_replicas.py``.
"""

from __future__ import annotations

import itertools
import json
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from router.simulator import SimulatorConfig, SimulatorServer
from tests.support.httpsink import HttpSink
from tests.support.process import RouterProcess, free_port

pytestmark = pytest.mark.slow

T = TypeVar("T")

LICENSE = "LIC-ABC123"
OFFLINE = "Q2GV-EFGH-5678"  # Parking Lot B
BLURRED = "Q2GV-BLUR-0005"  # Warehouse Aisle 3
ADMIN = "admin-secret"
SIM_RPS = 4  # the simulator's limit (429 beyond), and the router's budget for it
HTTP = httpx.Client(timeout=10)


# -- helpers (also used by test_tracker_replicas.py) -------------------------------------


def write_rules(path: Path, sink: HttpSink, *, repeat: str = "4h",
                acknowledged: bool = False) -> Path:
    """One group per camera; the body says ``kind:serial`` so messages are easy to count."""
    path.write_text(textwrap.dedent(f"""\
        receivers:
          hook:
            urls: ["json://127.0.0.1:{sink.port}/hook"]
            body: "{{{{ kind }}}}:{{% for e in events %}}{{{{ e.serial }}}} {{% endfor %}}"
        routes:
          - name: cameras
            receivers: [hook]
            group_by: [camera]
            group_wait: 0s
            group_interval: 1s
            repeat_interval: {repeat}
            send_resolved: true
            send_acknowledged: {str(acknowledged).lower()}
        """))
    return path


def simulator() -> SimulatorServer:
    return SimulatorServer(SimulatorConfig(rate_limit=SIM_RPS))


def router_env(sim: SimulatorServer, database_url: str, rules: Path, port: int,
               **more: str) -> dict[str, str]:
    return {"ROUTER_DATABASE_URL": database_url, "ROUTER_RULES_FILE": str(rules),
            "ROUTER_PORT": str(port), "ROUTER_HOST": "127.0.0.1",
            "ROUTER_VISIONALERT_URL": sim.base_url, "ROUTER_VISIONALERT_TOKEN": "demo-token",
            "ROUTER_VISIONALERT_RPS": str(SIM_RPS), "ROUTER_STATE_INTERVAL": "1",
            "ROUTER_ADMIN_TOKEN": ADMIN, "ROUTER_POLL_SECONDS": "0.05",
            "ROUTER_LOG_FORMAT": "json", **more}


def start_serve(tmp_path: Path, name: str, sim: SimulatorServer, database_url: str,
                rules: Path, **more: str) -> tuple[RouterProcess, str]:
    """A `serve` process in its own folder; returns it with its base URL (once ready)."""
    port = free_port()
    folder = tmp_path / name
    folder.mkdir()
    proc = RouterProcess(["serve"], router_env(sim, database_url, rules, port, **more),
                         folder).start()
    base = f"http://127.0.0.1:{port}"
    try:
        proc.wait_http(f"{base}/readyz", timeout=60)
    except BaseException:
        proc.stop()
        raise
    return proc, base


def fire(sim: SimulatorServer, router_url: str, camera: dict[str, Any]) -> dict[str, Any]:
    """The simulator creates an alert and posts its webhook to the router."""
    answer = HTTP.post(sim.url + "/_sim/alerts", json={
        "license": LICENSE, "cameras": [camera],
        "webhook": {"target": f"{router_url}/webhooks/visionalert"}})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    assert body["webhook"]["ok"], body["webhook"]
    return body


def normal_log(sim: SimulatorServer, serial: str) -> dict[str, Any]:
    """A normal monitoring log for the camera (no webhook: VisionAlert sends none)."""
    answer = HTTP.post(sim.url + "/_sim/logs",
                       json={"license": LICENSE, "serial": serial, "status": "normal"})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def sim_requests(sim: SimulatorServer, fragment: str) -> int:
    stats = HTTP.get(sim.url + "/_sim/stats").json()
    return sum(n for key, n in stats["requests"].items() if fragment in key)


def messages(sink: HttpSink, serial: str | None = None) -> list[tuple[str, str]]:
    """(kind, serial) for every camera of every message at the sink, in arrival order."""
    found = []
    for request in sink.requests:
        kind, _, serials = str(request.json()["message"]).partition(":")
        found += [(kind, s) for s in serials.split() if serial is None or s == serial]
    return found


def kinds(sink: HttpSink, serial: str) -> list[str]:
    return [k for k, _ in messages(sink, serial)]


def firing_gaps(sink: HttpSink, serial: str) -> list[float]:
    """Seconds between the camera's successive problem messages (first one and reminders)."""
    times = []
    for request in sink.requests:
        kind, _, serials = str(request.json()["message"]).partition(":")
        if kind == "firing" and serial in serials.split():
            times.append(request.time)
    return [b - a for a, b in itertools.pairwise(times)]


def wait_until(check: Callable[[], T | None], timeout: float, what: str,
               alive: Callable[[], None] = lambda: None) -> T:
    """Poll ``check`` until it returns something truthy; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        alive()
        time.sleep(0.1)


def api(router_url: str, path: str, method: str = "GET", **kwargs: Any) -> Any:
    answer = HTTP.request(method, f"{router_url}/api/v1{path}",
                          headers={"Authorization": f"Bearer {ADMIN}"}, **kwargs)
    assert answer.status_code == 200, answer.text
    return answer.json()


def incidents_of(router_url: str, serial: str) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = api(router_url, f"/incidents?camera={serial}")["results"]
    return results


def wait_newer_than(iso_time: str) -> None:
    """Make sure the next simulator log is strictly newer than ``iso_time`` (a guard, not
    an assertion: the tracker only trusts a normal log newer than the last problem)."""
    from router.upstream.models import parse_timestamp
    wait_until(lambda: time.time() > parse_timestamp(iso_time) + 0.05, 5,
               f"the clock to pass {iso_time}")


def no_traceback(*procs: RouterProcess) -> None:
    for proc in procs:
        assert "Traceback" not in proc.output, proc.output[-4000:]


def dump(sink: HttpSink) -> str:
    return json.dumps([r.json()["message"] for r in sink.requests])


# -- tests -------------------------------------------------------------------------------


def test_tracker_resolves_an_offline_camera_from_its_normal_log(tmp_path: Path) -> None:
    with simulator() as sim, HttpSink() as sink:
        rules = write_rules(tmp_path / "rules.yaml", sink)
        router, url = start_serve(tmp_path, "serve", sim,
                                  f"sqlite:///{tmp_path / 'router.db'}", rules)
        try:
            fire(sim, url, {"serial": OFFLINE, "status": "offline"})
            wait_until(lambda: kinds(sink, OFFLINE) == ["firing"], 60,
                       "the problem message")
            [incident] = wait_until(lambda: incidents_of(url, OFFLINE), 10, "the incident")
            assert incident["state"] == "open", incident

            wait_newer_than(incident["last_event_at"])
            normal_log(sim, OFFLINE)  # the camera is back: no webhook says so
            wait_until(lambda: "resolved" in kinds(sink, OFFLINE), 30,
                       f"the resolved message; got {dump(sink)}")
            [incident] = incidents_of(url, OFFLINE)
            assert incident["state"] == "resolved", incident
            assert incident["resolution"] == "tracker", incident
            assert api(url, f"/incidents/{incident['id']}")["resolution"] == "tracker"
            # A few more tracker rounds change nothing: still one of each.
            rounds = sim_requests(sim, "/logs")
            wait_until(lambda: sim_requests(sim, "/logs") >= rounds + 2, 30,
                       "two more tracker rounds")
            assert kinds(sink, OFFLINE) == ["firing", "resolved"], dump(sink)
            assert len(sink.requests) == 2, dump(sink)
        finally:
            code = router.stop()
        assert code == 0, router.output[-4000:]
        no_traceback(router)
        assert HTTP.get(sim.url + "/_sim/stats").json()["responses_429"] == 0


def test_reminders_stop_once_acknowledged_and_the_resolution_still_arrives(
        tmp_path: Path) -> None:
    repeat = 3.0
    with simulator() as sim, HttpSink() as sink:
        rules = write_rules(tmp_path / "rules.yaml", sink, repeat="3s", acknowledged=True)
        router, url = start_serve(tmp_path, "serve", sim,
                                  f"sqlite:///{tmp_path / 'router.db'}", rules)
        try:
            fire(sim, url, {"serial": BLURRED, "anomalies": {"Blur": 0.91}})
            wait_until(lambda: kinds(sink, BLURRED)[:1] == ["firing"], 60,
                       "the problem message")
            # Reminders: the same problem again every repeat interval, no new webhook.
            wait_until(lambda: kinds(sink, BLURRED).count("firing") >= 3, 4 * repeat + 10,
                       f"two reminders; got {dump(sink)}")
            gaps = firing_gaps(sink, BLURRED)
            assert all(g >= repeat - 0.5 for g in gaps), gaps  # no duplicate reminder

            [incident] = incidents_of(url, BLURRED)
            acked = api(url, f"/incidents/{incident['id']}/ack", "POST",
                        json={"by": "ops", "comment": "on it"})
            assert acked["state"] == "acknowledged" and acked["already"] is False, acked
            wait_until(lambda: "acknowledged" in kinds(sink, BLURRED), 15,
                       "the acknowledgement message")
            # A reminder already queued when the ack landed may still go out; after
            # that, none over several repeat intervals.
            settled = len(sink.requests)
            acked_at = time.monotonic()
            wait_until(lambda: time.monotonic() > acked_at + 3 * repeat + 1, 4 * repeat,
                       "three repeat intervals")
            late = sink.requests[settled:]
            assert late == [], [r.json()["message"] for r in late]
            before = kinds(sink, BLURRED)
            assert before.count("acknowledged") == 1, before
            firing_after_ack = before[before.index("acknowledged"):].count("firing")
            assert firing_after_ack <= 1, before

            wait_newer_than(incident["last_event_at"])
            normal_log(sim, BLURRED)
            wait_until(lambda: "resolved" in kinds(sink, BLURRED), 30,
                       f"the resolved message; got {dump(sink)}")
            [incident] = incidents_of(url, BLURRED)
            assert incident["state"] == "resolved", incident
            assert incident["resolution"] == "tracker", incident
            assert kinds(sink, BLURRED).count("resolved") == 1
        finally:
            code = router.stop()
        assert code == 0, router.output[-4000:]
        no_traceback(router)
