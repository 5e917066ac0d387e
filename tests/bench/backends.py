"""Backends benchmark: ingest throughput and end-to-end latency, SQLite next to
PostgreSQL, with 1 and 2 worker processes, in one run.

    .venv/bin/python tests/bench/backends.py [--webhooks 1500] [--threads 8]

Each scenario runs ``serve --role web`` (2 gunicorn workers) plus 1 or 2
``worker`` processes on a fresh store, and a loopback sink as the only target.
Webhooks (one camera each, unique serial) are posted by ``--threads`` keep-alive
clients as fast as the router accepts them, while the workers route and deliver.

Figures: ingest = accepted webhooks per second while posting; drain = camera
events delivered per second from the first POST to the last delivery; latency
= time from a webhook's 200 to its message at the sink (p50/p95/p99). The
load generator shares the machine's cores with the router and the database.
PostgreSQL: the server on 127.0.0.1:5432 (trust auth), one database per scenario.
"""

from __future__ import annotations

import argparse
import re
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``tests`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx

from tests.support import postgres
from tests.support.fleet import delivered, serial, webhook, write_rules
from tests.support.httpsink import HttpSink
from tests.support.process import RouterProcess, free_port


@dataclass(frozen=True)
class Result:
    backend: str
    workers: int
    webhooks: int
    ingest_per_s: float
    drain_per_s: float
    p50: float
    p95: float
    p99: float


def _post_all(url: str, serials: Sequence[str], threads: int) -> dict[str, float]:
    accepted: dict[str, float] = {}
    lock = threading.Lock()
    local = threading.local()

    def one(s: str) -> None:
        client = getattr(local, "client", None) or httpx.Client(timeout=30)
        local.client = client
        while client.post(url, json=webhook(s)).status_code != 200:
            time.sleep(0.05)
        with lock:
            accepted[s] = time.monotonic()

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, serials))
    return accepted


def _first_arrival(sink: HttpSink) -> dict[str, float]:
    arrival: dict[str, float] = {}
    for request in sink.requests:
        for s in re.findall(r"Cam-(E\d+)\b", request.body.decode()):
            arrival.setdefault(s, request.time)
    return arrival


def scenario(backend: str, workers: int, count: int, threads: int, work: Path) -> Result:
    folder = work / f"{backend}-{workers}"
    folder.mkdir()
    database = None
    if backend == "postgresql":
        database = f"router_bench_{uuid.uuid4().hex[:8]}"
        postgres.create_database(database)
        url = postgres.url(database)
    else:
        url = f"sqlite:///{folder / 'router.db'}"
    port = free_port()
    procs: list[RouterProcess] = []
    with HttpSink() as sink:
        env = {"ROUTER_DATABASE_URL": url, "ROUTER_PORT": str(port),
               "ROUTER_RULES_FILE": str(write_rules(folder / "rules.yaml", sink)),
               "ROUTER_LOG_LEVEL": "WARNING", "ROUTER_WEB_WORKERS": "2",
               "ROUTER_POLL_SECONDS": "0.05"}
        try:
            web = RouterProcess(["serve", "--role", "web"], env, folder).start()
            procs.append(web)
            web.wait_http(f"http://127.0.0.1:{port}/readyz", timeout=60)
            for _ in range(workers):
                procs.append(RouterProcess(["worker"], env, folder).start())
            serials = [serial(i) for i in range(count)]
            started = time.monotonic()
            accepted = _post_all(f"http://127.0.0.1:{port}/webhooks/visionalert", serials,
                                 threads)
            posted = time.monotonic()
            deadline = posted + 300
            while len(delivered(sink)) < count:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{backend}/{workers}: not all delivered")
                time.sleep(0.1)
            arrival = _first_arrival(sink)
            finished = max(arrival.values())
        finally:
            for proc in procs:
                proc.stop()
            if database is not None:
                postgres.drop_database(database)
    latencies = sorted(arrival[s] - accepted[s] for s in serials)
    q = statistics.quantiles(latencies, n=100)
    return Result(backend, workers, count, count / (posted - started),
                  count / (finished - started), q[49], q[94], q[98])


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)  # runs the finally blocks


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhooks", type=int, default=1500)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    backends = args.backends.split(",")
    if "postgresql" in backends and (why := postgres.available()) is not None:
        print(f"skipping PostgreSQL: {why}", file=sys.stderr)
        backends.remove("postgresql")
    results = []
    with tempfile.TemporaryDirectory(prefix="router-bench-") as tmp:
        for backend in backends:
            for workers in (1, 2):
                results.append(scenario(backend, workers, args.webhooks, args.threads,
                                        Path(tmp)))
                print(_row(results[-1]), flush=True)
    print("\nbackend     workers  webhooks  ingest/s  drain/s  e2e p50 ms  p95 ms  p99 ms")
    for r in results:
        print(_row(r))
    return 0


def _row(r: Result) -> str:
    return (f"{r.backend:<11} {r.workers:>7} {r.webhooks:>9} {r.ingest_per_s:>9.0f} "
            f"{r.drain_per_s:>8.0f} {r.p50 * 1000:>11.0f} {r.p95 * 1000:>7.0f} "
            f"{r.p99 * 1000:>7.0f}")


if __name__ == "__main__":
    sys.exit(main())
