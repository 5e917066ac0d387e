"""Webhook ingest benchmark: the router's web role vs a hello-world app, same gunicorn.

    .venv/bin/python tests/bench/ingest.py [--rounds 5] [--duration 6] [--connections 16]

Both servers run side by side and the load alternates between them for
``--rounds`` pairs (default 5 x 6 s each); the figures are the medians of the
per-round figures, so a slow spell of a shared machine does not land on one side
of the ratio only.

1. ``POST /webhooks/visionalert`` against ``python -m router serve --role web``
   (gunicorn sync workers, ROUTER_WEB_WORKERS default 2, SQLite WAL on a fresh file,
   default settings); every body is unique (a counter in the camera serial), so
   nothing is answered as a duplicate.
2. The same load against a hello-world Flask app served by a subclass of
   ``router.serve.WebServer`` (tests/bench/hello.py): identical gunicorn settings.
3. Ratios and targets (ingest >= 0.6 x hello req/s, ingest p99 <= 20 ms), then the
   persistence check: every 200 the load generator received names an alert row.

The machine's cores are shared by the load generator and the server: wrk runs with
one thread (``--threads``) and the CPU each side used is printed, so a reader can
tell a saturated server from a saturated client. Exit status: 1 if persistence
fails or a run errors, 2 if ``--check`` is given and a target is missed, else 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``tests.bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from router.receive.sample import SAMPLE_WEBHOOK
from tests.bench.common import (
    HOST,
    MARKER,
    REPO,
    LoadSpec,
    Measured,
    Proc,
    ProcessSet,
    bench_dir,
    exit_on_signals,
    fmt,
    free_port,
    measure,
    print_table,
    wait_http,
)

PATH = "/webhooks/visionalert"
TARGET_RATIO = 0.6
TARGET_P99_MS = 20.0


def body_template() -> str:
    body = json.loads(json.dumps(SAMPLE_WEBHOOK))
    body["cameras"][0]["serial"] = f"bench-{MARKER}"
    return json.dumps(body)


def count_alerts(db: Path) -> tuple[int, set[int]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        ids = {row[0] for row in conn.execute("SELECT id FROM alerts")}
    return len(ids), ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=6.0,
                        help="seconds per target per round")
    parser.add_argument("--rounds", type=int, default=5,
                        help="hello/ingest pairs, alternated (the ratio is their median)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before round 1")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--check", action="store_true", help="exit 2 when a target is missed")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (db, logs)")
    args = parser.parse_args(argv)
    exit_on_signals()

    env_base = {k: v for k, v in os.environ.items() if not k.startswith("ROUTER_")}
    template = body_template()
    with bench_dir(keep=args.keep) as tmp, ProcessSet() as procs:
        db = tmp / "router.db"
        env = {**env_base, "ROUTER_DATABASE_URL": f"sqlite:///{db}",
               "ROUTER_RULES_FILE": str(REPO / "rules.yaml")}
        for key in ("ROUTER_WEB_WORKERS", "ROUTER_SQLITE_SYNCHRONOUS"):  # allow what-ifs
            if key in os.environ:
                env[key] = os.environ[key]
        workers = env.get("ROUTER_WEB_WORKERS", "2")
        loadgen, why = args.loadgen, ""
        if loadgen == "auto":
            loadgen = "wrk" if shutil.which("wrk") else "python"
            why = "" if loadgen == "wrk" else " (wrk not on PATH: apt-get install -y wrk)"
        print(f"ingest benchmark: {os.cpu_count()} CPUs, {args.connections} connections, "
              f"{args.rounds} rounds of {args.duration:g}s per target, alternated "
              f"(+{args.warmup:g}s warm-up), gunicorn sync x {workers} workers, "
              f"load generator: {loadgen}" + why)
        load1 = os.getloadavg()[0]
        if load1 > 0.5:
            print(f"note: load average {load1:.2f} before starting: the machine is not idle")
        if args.keep:
            print(f"temp dir (kept): {tmp}")

        def spec(port: int, tag: str) -> LoadSpec:
            return LoadSpec(url=f"http://{HOST}:{port}{PATH}", body_template=template,
                            duration_s=args.duration, connections=args.connections,
                            threads=args.threads, run_tag=f"{tag}{int(time.time())}")

        # Both servers run side by side; rounds alternate the load between them, so
        # a slow spell of a shared machine hits both sides of a ratio alike.
        hello_port, web_port = free_port(), free_port()
        hello = procs.start(Proc("hello", [sys.executable, str(REPO / "tests/bench/hello.py"),
                                           "--host", HOST, "--port", str(hello_port)],
                                 env=env, log_path=tmp / "hello.log"))
        web = procs.start(Proc("router web", [sys.executable, "-m", "router", "serve",
                                              "--role", "web", "--host", HOST,
                                              "--port", str(web_port)],
                               env=env, log_path=tmp / "web.log"))
        wait_http(f"http://{HOST}:{hello_port}/healthz", hello)
        wait_http(f"http://{HOST}:{web_port}/readyz", web)
        before: list[int] = []
        rounds: list[tuple[Measured, Measured]] = []
        for n in range(args.rounds):
            warm = args.warmup if n == 0 else 0.0
            h = measure(hello, spec(hello_port, f"h{n}-"), prefer=loadgen, warmup_s=warm)
            i = measure(web, spec(web_port, f"i{n}-"), prefer=loadgen, warmup_s=warm,
                        settle=(lambda: before.append(count_alerts(db)[0])) if n == 0
                        else None)
            rounds.append((h, i))
            print(f"round {n + 1}: hello {h.load.rps:,.0f} req/s, ingest {i.load.rps:,.0f} "
                  f"req/s (ratio {_ratio(h, i):.2f}), ingest p99 {i.load.p99_ms:.1f} ms",
                  flush=True)
        time.sleep(0.5)  # let requests cut off at the deadline finish before stopping
        procs.stop_all()
        stored_total, stored_ids = count_alerts(db)
        code = _report(args, rounds, before[0], stored_total, stored_ids)
        _report_files(db, stored_total)
        if args.keep:
            print(f"\nlogs and database kept in {tmp}")
    return code


def _report_files(db: Path, alerts: int) -> None:
    """The write-ahead log is reused from its start after each checkpoint round, so
    its file stays a few rounds' worth of commits, not every commit of the run."""
    sizes = {suffix: (db.parent / (db.name + suffix)).stat().st_size
             for suffix in ("", "-wal") if (db.parent / (db.name + suffix)).exists()}
    print(f"files:       database {sizes.get('', 0) / 2**20:.1f} MiB for {alerts:,} alerts; "
          f"write-ahead log {sizes.get('-wal', 0) / 2**20:.1f} MiB at its largest")


def _ratio(hello: Measured, ingest: Measured) -> float:
    return ingest.load.rps / hello.load.rps if hello.load.rps else 0.0


def _report(args: argparse.Namespace, rounds: list[tuple[Measured, Measured]], before: int,
            stored_total: int, stored_ids: set[int]) -> int:
    print()
    rows = []
    for n, pair in enumerate(rounds, 1):
        for name, m in zip(("hello", "ingest"), pair, strict=True):
            r = m.load
            rows.append([f"{name} {n}", r.tool, fmt(r.requests), fmt(r.rps, 0),
                         fmt(r.p50_ms, 2), fmt(r.p99_ms, 2), fmt(r.max_ms, 1),
                         fmt(r.non_200 + r.socket_errors), fmt(m.server_cpu_ms_per_req, 2),
                         f"{100 * m.server_cpu_s / r.duration_s:.0f}%",
                         f"{100 * r.loadgen_cpu_s / r.duration_s:.0f}%",
                         f"{100 * m.other_cpu_s / r.duration_s:.0f}%"])
    print_table(["target", "load generator", "requests", "req/s", "p50 ms", "p99 ms",
                 "max ms", "errors", "srv CPU ms/req", "srv CPU", "loadgen CPU",
                 "other CPU"], rows)
    print(f"(CPU % is of one core; {os.cpu_count()} cores shared by server and load "
          "generator; 'other' is every other process on the machine during the run)")
    busy = [f"round {n}" for n, pair in enumerate(rounds, 1)
            if any(m.other_cpu_s > 0.15 * m.load.duration_s for m in pair)]
    if busy:
        print(f"WARNING: other processes used CPU during {', '.join(busy)}: "
              "figures are not comparable; rerun on a quiet machine")

    ratios = [_ratio(h, i) for h, i in rounds]
    p99s = [i.load.p99_ms for _, i in rounds]
    hello_p99s = [h.load.p99_ms for h, _ in rounds]
    ratio, p99 = statistics.median(ratios), statistics.median(p99s)
    ok_ratio, ok_p99 = ratio >= TARGET_RATIO, p99 <= TARGET_P99_MS

    accepted = [alert_id for _, i in rounds for alert_id in i.load.ok_ids]
    unique_accepted = set(accepted)
    missing = unique_accepted - stored_ids
    new_rows = stored_total - before
    extra = new_rows - len(unique_accepted)
    duplicates = sum(i.load.duplicates for _, i in rounds)
    answered_200 = sum(i.load.statuses.get(200, 0) for _, i in rounds)
    persisted_ok = (not missing and len(unique_accepted) == len(accepted)
                    and duplicates == 0 and answered_200 == len(accepted)
                    and 0 <= extra <= args.connections * len(rounds))

    def spread(values: list[float], unit: str = "") -> str:
        return f"(rounds: {', '.join(f'{v:.2f}{unit}' for v in values)})"

    print()
    print_table(["check", "measured (median of rounds)", "target", "result"], [
        ["ingest/hello req/s", f"{ratio:.2f}  {spread(ratios)}", f">= {TARGET_RATIO}",
         "PASS" if ok_ratio else "FAIL"],
        ["ingest p99", f"{p99:.2f} ms  {spread(p99s)}", f"<= {TARGET_P99_MS:g} ms",
         "PASS" if ok_p99 else "FAIL"],
        ["hello p99 (reference)", f"{statistics.median(hello_p99s):.2f} ms", "-", "-"],
        ["accepted (200) vs stored", f"{len(accepted):,} vs "
         f"{len(unique_accepted) - len(missing):,}", "equal",
         "PASS" if persisted_ok else "FAIL"],
    ])
    print(f"\npersistence: {len(accepted):,} answers 200 (duplicates: {duplicates}); "
          f"{len(unique_accepted) - len(missing):,} of their alert_ids are rows in 'alerts', "
          f"{len(missing)} missing.")
    print(f"             alerts rows added during the runs: {new_rows:,} = "
          f"{len(unique_accepted):,} answered + {extra} committed for requests the load "
          "generator cut off at a deadline (at most one per connection and round).")
    if not persisted_ok:
        print("persistence FAILED", file=sys.stderr)
        return 1
    if args.check and not (ok_ratio and ok_p99):
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; all benchmark processes stopped", file=sys.stderr)
        sys.exit(130)
