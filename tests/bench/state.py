"""State tracker benchmark: its cost in upstream requests, and how soon a recovery is told.

    .venv/bin/python tests/bench/state.py [--cameras 5000] [--recoveries 50] [--seed 7]

One license of ``--cameras`` cameras in the simulator (real HTTP on 127.0.0.1, rate
limit 1 request/second: 429 beyond), every camera logging every 15 minutes; the
router in-process (SQLite, its limiter at ROUTER_VISIONALERT_RPS=1) with
ROUTER_STATE_INTERVAL=60 s, posting to a local HTTP sink. ``--recoveries`` cameras go
offline (a webhook) and come back at random times (a normal log upstream only).

All times are SIMULATED seconds on one manual clock shared by the simulator and the
router (see tests/upstream/test_tracker_budget.py, World): deterministic, not wall time.

Printed: (a) tracker requests per round per license, first and steady rounds; (b) the
share of the 1 request/second budget the tracker used; (c) seconds from the normal log
appearing upstream to the resolved message delivered to the sink, median and p99, next
to the baseline measured in the same run: the same recoveries announced by a webhook
with status normal (tracker off), and the ratio.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``tests`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from router.clock import ManualClock, utc
from router.pipeline.runtime import Runtime
from router.settings import Settings
from router.store.migrate import upgrade
from tests.bench.common import fmt, percentile, print_table
from tests.simulator.wiring import api_requests, sim_stats
from tests.support.httpsink import HttpSink
from tests.support.tracking import hook_rules, serials_in, watched
from tests.upstream.test_tracker_budget import LOGS, World, indexed_cameras

INTERVAL = 60.0
LICENSE = "LIC-0"


def rules(sink: HttpSink) -> str:
    return hook_rules(sink, route="""\
        group_by: [camera]
        group_wait: 0s
        group_interval: 1m
        send_resolved: true""")


def one_run(tracker: bool, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    tag = "tracker" if tracker else "webhook"

    def make_runtime(clock: ManualClock, **values: object) -> Runtime:
        settings = Settings.from_env({}, database_url=f"sqlite:///{workdir / f'{tag}.db'}",
                                     rules_file=workdir / f"rules-{tag}.yaml",
                                     retry_base_seconds=1.0, **values)
        runtime = Runtime.create(settings, clock=clock)
        upgrade(runtime.db)
        return runtime

    rng = random.Random(args.seed)  # the same schedule in both runs
    rules_path = workdir / f"rules-{tag}.yaml"
    with indexed_cameras(), HttpSink() as sink, watched(
            make_runtime, rules_path, rules(sink), licenses=1, cameras=args.cameras,
            rate_limit=1.0, state_interval=INTERVAL if tracker else 0.0) as site:
        world = World(site, tracker_on=tracker, sink=sink, step=2.0)
        start = site.clock.now()
        end = start + 20 + 2.0 * args.recoveries + 240 + 150  # the last recovery + 150 s
        world.schedule_logs(until=end + 60)
        state = site.sim.context.state
        chosen = rng.sample(range(args.cameras), args.recoveries)
        recover_at: dict[str, float] = {}
        for n, i in enumerate(chosen):
            serial = f"C{i:03d}"
            down = start + 20 + n * 2.0 + rng.uniform(0, 2)
            back = round(down + rng.uniform(90, 240), 1)
            recover_at[serial] = back
            world.statuses[serial] = [(down, "offline"), (back, "normal")]
            world.at(down, lambda s=serial: site.alert(LICENSE, [
                {"serial": s, "status": "offline"}]) and None)
            if tracker:  # upstream only: a normal log, VisionAlert posts nothing
                def log_normal(s: str = serial) -> None:
                    with state.lock:
                        cam = state.camera(10, s)
                        assert cam is not None
                        state.add_log(cam, "normal", {}, utc(site.clock.now()), None)
                world.at(back, log_normal)
            else:
                world.at(back, lambda s=serial: site.alert(LICENSE, [
                    {"serial": s, "status": "normal"}]) and None)
        t0 = time.monotonic()
        world.run_until(end)
        wall = time.monotonic() - t0
        elapsed = site.clock.now() - start
        delays = []
        for serial, back in recover_at.items():
            told = [when for when, r in world.delivered
                    if when >= back and serial in serials_in(r.json())
                    and "normal" in json.dumps(r.json()).lower()]
            if told:
                delays.append(min(told) - back)
        stats = sim_stats(site.sim)
        return {"tag": tag, "delays": delays, "rounds": world.rounds, "stats": stats,
                "tracker_requests": stats["requests"].get(LOGS, 0),
                "api_requests": api_requests(stats), "elapsed": elapsed, "wall": wall}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cameras", type=int, default=5000)
    parser.add_argument("--recoveries", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="bench-state-") as tmp:
        on = one_run(True, args, Path(tmp))
        off = one_run(False, args, Path(tmp))

    first = on["rounds"][0].get(10, 0) if on["rounds"] else 0
    steady = [r.get(10, 0) for r in on["rounds"][1:]]
    print(f"1 license, {args.cameras:,} cameras logging every 15 min; simulator and router "
          f"limiter at 1 request/second; ROUTER_STATE_INTERVAL={INTERVAL:g} s; "
          "recoveries 90-240 s after going offline. Times are SIMULATED seconds "
          "(manual clock shared by simulator and router), not wall-clock.\n")
    print("(a) tracker requests per round per license: "
          f"first round {first}, steady rounds median {fmt(percentile(steady, 50), 0)} "
          f"max {max(steady, default=0)} mean {fmt(sum(steady) / max(1, len(steady)), 2)} "
          f"over {len(steady)} rounds")
    share = on["tracker_requests"] / on["elapsed"]
    steady_share = sum(steady) / max(1, len(steady)) / INTERVAL
    print(f"(b) tracker share of the 1 rps budget: {share:.1%} over the run "
          f"({on['tracker_requests']} log requests in {on['elapsed']:.0f} s, first round "
          f"included); steady rounds {steady_share:.1%}; 429 answers: "
          f"tracker run {on['stats']['responses_429']}, baseline run "
          f"{off['stats']['responses_429']}\n")
    rows = []
    for r in (on, off):
        d = r["delays"]
        rows.append([f"{'tracker (normal log upstream)' if r is on else 'baseline (webhook)'}",
                     f"{len(d)}/{args.recoveries}", fmt(percentile(d, 50)),
                     fmt(percentile(d, 99)), fmt(max(d, default=None)),
                     r["api_requests"], fmt(r["wall"])])
    print("(c) recovery upstream -> resolved message at the sink, simulated seconds")
    print_table(["how the recovery is learnt", "told", "median s", "p99 s", "max s",
                 "API requests", "wall s"], rows)
    p50 = (percentile(on["delays"], 50), percentile(off["delays"], 50))
    p99 = (percentile(on["delays"], 99), percentile(off["delays"], 99))
    def ratio(a: float, b: float) -> str:
        return f"{a / b:.1f}x" if b >= 0.5 else f"n/a (baseline {b:.1f} s)"

    print(f"\nratio tracker/baseline: median {ratio(*p50)} (+{p50[0] - p50[1]:.1f} s), "
          f"p99 {ratio(*p99)} (+{p99[0] - p99[1]:.1f} s); expected bound: "
          f"ROUTER_STATE_INTERVAL {INTERVAL:g} s + the round's own duration")
    complete = len(on["delays"]) == len(off["delays"]) == args.recoveries
    return 0 if complete and on["stats"]["responses_429"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
