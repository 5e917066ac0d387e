"""``visionalert-router demo``: the simulator and the router wired together, on one console.

Starts the VisionAlert simulator (in this process, 1 request/second like the
real API) and ``visionalert-router serve`` (a child process on a temporary
SQLite store, enriching from the simulator), then fires a scenario through
the simulator's webhook sender: a camera going offline, obstructions with
scores, and a storm across one site. Every routed notification is printed as
the ``log://`` sink writes it. No secrets, no network beyond 127.0.0.1; it
exits by itself once every camera of the scenario has been notified (or
after ``--timeout``), unless ``--keep`` keeps both running until Ctrl-C.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import httpx

from router.simulator import SimulatorConfig, SimulatorServer

LICENSE = "LIC-ABC123"
TOKEN = "demo-token"  # noqa: S105 - the simulator's public demo token


@dataclass(frozen=True)
class Step:
    title: str
    cameras: list[dict[str, Any]]

    @property
    def serials(self) -> list[str]:
        return [c["serial"] for c in self.cameras]


# Cameras of the simulator's built-in scenario (router/simulator/default_scenario.yaml).
SCENARIO = [
    Step("Parking Lot B goes offline (it has no reference image: the router asks for one)",
         [{"serial": "Q2GV-EFGH-5678", "status": "offline"}]),
    Step("Obstructions with scores at the entrance and the loading dock",
         [{"serial": "Q2GV-ABCD-1234", "anomalies": {"Blur": 0.87, "Obstruction": 0.65}},
          {"serial": "C1", "anomalies": {"Obstruction": 0.93}}]),
    Step("A storm across site A: five cameras in one alert",
         [{"serial": "Q2GV-MOVE-0004", "anomalies": {"Position change": 0.72}},
          {"serial": "Q2GV-REVW-0006", "anomalies": {"Obstruction": 0.81}},
          {"serial": "Q2GV-AAAA-0010", "anomalies": {"Glare": 0.74}},
          {"serial": "Q2GV-AAAA-0011", "anomalies": {"Blur": 0.66}},
          {"serial": "Q2GV-AAAA-0012", "status": "offline"}]),
]

RULES = """\
# The demo's routing rules: every receiver prints to the console (log://);
# short group timings so that every alert of the scenario shows at once.
receivers:
  noc: {{urls: ["{sink}"]}}
  site-a-oncall: {{urls: ["{sink}"]}}
  console: {{urls: ["{sink}"]}}
routes:
  - name: offline
    match: {{status: [offline]}}
    receivers: [noc]
    group_wait: 0
    group_interval: 1s
  - name: site-a-view-blocked
    match: {{tags: [site-a], anomalies: {{any: [Obstruction, Blur]}}}}
    receivers: [site-a-oncall]
    continue: true
    group_wait: 0
    group_interval: 1s
  - name: everything-else
    receivers: [console]
    group_wait: 0
    group_interval: 1s
"""


@click.command("demo")
@click.option("--keep", is_flag=True, help="Keep the simulator and router up (Ctrl-C stops).")
@click.option("--timeout", default=60.0, show_default=True, type=float,
              help="Seconds to wait for the notifications before giving up.")
@click.option("--port", default=0, type=int, help="Router port (default: any free port).")
def demo_command(keep: bool, timeout: float, port: int) -> None:
    """Run the simulator and the router together and show the routed notifications."""
    with tempfile.TemporaryDirectory(prefix="visionalert-demo-") as workdir:
        sys.exit(Demo(Path(workdir), port).run(keep=keep, timeout=timeout))


class Demo:
    def __init__(self, workdir: Path, port: int) -> None:
        self.workdir = workdir
        self.port = port or _free_port()
        self.sink = workdir / "notifications.jsonl"
        self.webhook_token = secrets.token_hex(8)  # made up per run; nothing to keep secret
        self.sim = SimulatorServer(SimulatorConfig(rate_limit=1.0, token=TOKEN,
                                                   webhook_token=self.webhook_token))
        self.router: subprocess.Popen[bytes] | None = None
        self.printed = 0

    @property
    def router_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, *, keep: bool, timeout: float) -> int:
        started = time.monotonic()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the simulator's access log
        self.sim.start()
        try:
            self._start_router()
            self._wait_ready(started + timeout)
            expected = self._fire()
            seen = self._watch(expected, started + timeout)
            if keep:
                self._keep_up()
            return self._summary(seen, expected, time.monotonic() - started)
        finally:
            self._stop_router()
            self.sim.stop()

    # -- parts ---------------------------------------------------------------------------
    def _start_router(self) -> None:
        rules = self.workdir / "rules.yaml"
        rules.write_text(RULES.format(sink=f"log://?file={self.sink}"))
        env = {**os.environ,
               "ROUTER_DATABASE_URL": f"sqlite:///{self.workdir / 'router.db'}",
               "ROUTER_VISIONALERT_URL": self.sim.base_url, "ROUTER_VISIONALERT_TOKEN": TOKEN,
               "ROUTER_WEBHOOK_TOKEN": self.webhook_token, "ROUTER_LOG_LEVEL": "WARNING",
               "ROUTER_WEB_WORKERS": "1", "ROUTER_POLL_SECONDS": "0.1",
               "ROUTER_ENRICH_DEADLINE": "20"}
        click.echo(f"VisionAlert simulator: {self.sim.base_url} (1 request/second)")
        click.echo(f"router:                {self.router_url}")
        self.router = subprocess.Popen(
            [sys.executable, "-m", "router", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--rules", str(rules)], env=env, cwd=self.workdir)

    def _wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            assert self.router is not None
            if self.router.poll() is not None:
                raise click.ClickException(f"the router exited with {self.router.returncode}")
            try:
                if httpx.get(self.router_url + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise click.ClickException("the router did not become ready in time")

    def _fire(self) -> set[str]:
        """Create each scenario alert in the simulator, which posts its webhook."""
        names: set[str] = set()
        for step in SCENARIO:
            click.echo(f"\n>>> {step.title}")
            answer = httpx.post(self.sim.url + "/_sim/alerts", timeout=15, json={
                "license": LICENSE, "cameras": step.cameras, "sent": True,
                "webhook": {"target": self.router_url + "/webhooks/visionalert"}}).json()
            status = (answer.get("webhook") or {}).get("status")
            click.echo(f"    upstream alert {answer['id']} created; webhook answered {status}")
            names.update(c["name"] for c in answer["cameras"])
        click.echo("")
        return names

    def _watch(self, names: set[str], deadline: float) -> set[str]:
        """Print notifications as they come until every camera was in one."""
        seen: set[str] = set()
        while time.monotonic() < deadline and not names <= seen:
            for note in self._new_notifications():
                seen.update(n for n in names if n in note["title"] + note["body"])
            time.sleep(0.2)
        time.sleep(0.5)  # stragglers of the last alert
        for note in self._new_notifications():
            seen.update(n for n in names if n in note["title"] + note["body"])
        return seen & names

    def _new_notifications(self) -> list[dict[str, Any]]:
        if not self.sink.exists():
            return []
        lines = self.sink.read_text(encoding="utf-8").splitlines()
        fresh = [json.loads(line) for line in lines[self.printed:] if line.strip()]
        for number, note in enumerate(fresh, start=self.printed + 1):
            click.echo(f"--- notification {number} " + "-" * 50)
            click.echo(note["title"])
            click.echo(note["body"])
        self.printed += len(fresh)
        return fresh

    def _keep_up(self) -> None:
        click.echo(f"\nKept up (Ctrl-C stops). ROUTER_VISIONALERT_URL={self.sim.base_url} "
                   f"ROUTER_VISIONALERT_TOKEN={TOKEN}; send more with\n"
                   f"  curl -X POST {self.sim.url}/_sim/alerts -H 'Content-Type: "
                   "application/json' -d '{\"license\": \"LIC-ABC123\", \"cameras\": "
                   "[\"C1\"], \"webhook\": true}'")
        self.sim.config.webhook_target = self.router_url + "/webhooks/visionalert"
        try:
            while True:
                self._new_notifications()
                time.sleep(0.5)
        except KeyboardInterrupt:
            click.echo("")

    def _summary(self, seen: set[str], expected: set[str], elapsed: float) -> int:
        stats = httpx.get(self.sim.url + "/_sim/stats", timeout=5).json()
        api = sum(n for k, n in stats["requests"].items() if "/v1/vision-alert/" in k)
        click.echo(f"\n{self.printed} notification(s) about {len(seen)} of {len(expected)} "
                   f"cameras in {elapsed:.1f}s; VisionAlert API requests: {api}, "
                   f"429 responses: {stats['responses_429']}")
        if seen != expected:
            click.echo(f"missing: {', '.join(sorted(expected - seen))}", err=True)
            return 1
        return 0

    def _stop_router(self) -> None:
        if self.router is None or self.router.poll() is not None:
            return
        self.router.send_signal(signal.SIGTERM)
        try:
            self.router.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.router.kill()
            self.router.wait()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
