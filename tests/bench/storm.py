"""Storm benchmark: many offline cameras in a short time, through the real service.

    .venv/bin/python tests/bench/storm.py [--cameras 10000] [--seconds 60] [--per-webhook 50]

Starts ``python -m router serve`` (web + worker processes, SQLite WAL on a fresh
file) with one route sending offline cameras to 3 receivers, each a json://
target on a loopback HTTP sink. ``--cameras`` offline cameras of one license
arrive in webhooks of ``--per-webhook`` cameras, evenly spread over
``--seconds`` of wall time (no injected clock: real time, real processes).
The route groups by license with group_wait 30s and group_interval 30s
(``--group-interval``), so a 60 s storm gives about 3 messages per receiver.

Prints: messages per receiver, time from the last webhook to the last delivery,
peak RSS of the service (sum over its processes, sampled every 0.2 s), and the
accounting: camera events stored vs sent, cameras named in the messages per
receiver, group items not notified. Exit 1 if any camera event is lost.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import tempfile
import textwrap
import threading
import time
import urllib.request
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``tests`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import HOST, Proc, free_port, process_tree, wait_http
from tests.support.httpsink import HttpSink

RECEIVERS = ("noc", "ops", "site")


def _rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        total += int(match.group(1)) if match else 0
    return total


class RssPeak(threading.Thread):
    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.peak, self.stop = root, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.2):
            self.peak = max(self.peak, _rss_kib(process_tree(self.root)))


def _post(port: int, body: dict[str, object]) -> None:
    request = urllib.request.Request(
        f"http://{HOST}:{port}/webhooks/visionalert", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200, answer.read()


def _pending(db: Path) -> tuple[int, int, int]:
    with sqlite3.connect(db, timeout=30) as conn:
        inbox = conn.execute(
            "SELECT COUNT(*) FROM alerts WHERE inbox_state = 'pending'").fetchone()[0]
        items = conn.execute(
            "SELECT COUNT(*) FROM group_items WHERE state = 'pending'").fetchone()[0]
        sends = conn.execute(
            "SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'limited')").fetchone()[0]
    return inbox, items, sends


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cameras", type=int, default=10_000)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--per-webhook", type=int, default=50)
    ap.add_argument("--group-interval", default="30s")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="router-storm-"))
    sinks = [HttpSink().start() for _ in RECEIVERS]
    rules = work / "rules.yaml"
    receivers = "\n".join(f'  {name}: {{urls: ["json://{HOST}:{sink.port}/{name}"]}}'
                          for name, sink in zip(RECEIVERS, sinks, strict=True))
    rules.write_text("receivers:\n" + receivers + textwrap.dedent(f"""
        routes:
          - name: offline
            match: {{status: [offline]}}
            receivers: [{", ".join(RECEIVERS)}]
            group_wait: 30s
            group_interval: {args.group_interval}
        """))
    port, db = free_port(), work / "router.db"
    env = {"ROUTER_DATABASE_URL": f"sqlite:///{db}", "ROUTER_RULES_FILE": str(rules),
           "ROUTER_POLL_SECONDS": "0.05", "ROUTER_LOG_LEVEL": "WARNING"}
    service = Proc("router", [sys.executable, "-m", "router", "serve", "--host", HOST,
                              "--port", str(port)], env=env, log_path=work / "router.log")
    try:
        service.start()
        wait_http(f"http://{HOST}:{port}/healthz", service)
        sampler = RssPeak(service.pid)
        sampler.start()
        hooks = -(-args.cameras // args.per_webhook)
        started = time.monotonic()
        for h in range(hooks):
            due = started + args.seconds * h / max(hooks - 1, 1)
            time.sleep(max(0.0, due - time.monotonic()))
            first = h * args.per_webhook
            cams = [{"serial": f"CAM{n:05d}", "name": f"Cam-{n:05d}", "anomaly": "Offline",
                     "tags": ["site-a"]} for n in range(first, min(first + args.per_webhook,
                                                                  args.cameras))]
            _post(port, {"license": "LIC-STORM", "anomaly": "Offline", "cameras": cams})
        last_webhook = time.monotonic()
        deadline = last_webhook + 600
        while _pending(db) != (0, 0, 0) and time.monotonic() < deadline:
            time.sleep(0.2)
        sampler.stop.set()
        sampler.join()
        return _report(args, sinks, db, last_webhook, sampler.peak, time.monotonic() > deadline)
    finally:
        service.stop()
        for sink in sinks:
            sink.stop()


def _report(args: argparse.Namespace, sinks: list[HttpSink], db: Path, last_webhook: float,
            peak_kib: int, timed_out: bool) -> int:
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT COUNT(*) FROM camera_events").fetchone()[0]
        unsent = conn.execute(
            "SELECT COUNT(*) FROM group_items WHERE state != 'notified'").fetchone()[0]
        states = dict(conn.execute("SELECT state, COUNT(*) FROM deliveries GROUP BY state"))
    last_delivery = max((r.time for s in sinks for r in s.requests), default=last_webhook)
    print(f"storm: {args.cameras} offline cameras in webhooks of {args.per_webhook} over "
          f"{args.seconds:g} s, 3 receivers, group_wait 30s, group_interval "
          f"{args.group_interval}")
    lost = args.cameras - stored
    for name, sink in zip(RECEIVERS, sinks, strict=True):
        named: set[str] = set()
        counted = 0
        for r in sink.requests:
            text = r.json()["title"] + r.json()["message"]
            named |= set(re.findall(r"Cam-\d{5}", text))
            counted += max((int(n) for n in re.findall(r"\b(\d+) cameras?\b", text)),
                           default=0)
        print(f"  {name}: {len(sink.requests)} messages, cameras named {len(named)}, "
              f"counted {counted}")
    print(f"  last webhook -> last delivery: {last_delivery - last_webhook:.1f} s"
          f"{' (TIMED OUT)' if timed_out else ''}")
    print(f"  peak RSS of the service (all its processes): {peak_kib / 1024:.0f} MiB")
    print(f"  camera events stored: {stored} of {args.cameras} (lost: {lost}); "
          f"group items not notified: {unsent}; deliveries: {states}")
    return 1 if lost or unsent or timed_out else 0


if __name__ == "__main__":
    sys.exit(main())
