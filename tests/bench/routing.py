"""Routing speed: 1,000 routes x 10,000 camera events on one core.

Three ways over the same rules and events, in one run:

- indexed: ``route_event(..., trace=False)``, what the worker does (matchers compiled
  at load, the per-level index skips routes that cannot match);
- linear: ``route_event(..., trace=True)``, every route tried in order (what
  ``explain`` does), compiled matchers but no index;
- naive: the matchers validated and compiled again from the YAML values for every
  event (what routing without a load-time compile step costs), on a sample of
  events, extrapolated.

Run: ``.venv/bin/python tests/bench/routing.py [--routes 1000] [--events 10000]``
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from router.model import CameraEvent, Status
from router.rules import Rules, load_rules, route_event
from router.rules.context import MatchContext
from router.rules.models import MatchSpec

NOW = datetime(2024, 3, 4, 12, tzinfo=UTC)
SITES = 200
LICENSES = 20


def make_rules(n_routes: int, rng: random.Random) -> dict[str, Any]:
    """A fleet's rules: per-site trees, per-camera, per-license and generic routes."""
    routes: list[dict[str, Any]] = []
    # Out of every 100 routes: 40 per site (a tag, with a night-time child now and
    # then), 20 per camera, 20 per license with score floors, 15 tag globs with a
    # weekend window, 3 license + `when`, 2 status only.
    plan = (["site"] * 40 + ["camera"] * 20 + ["license"] * 20 + ["glob"] * 15
            + ["when"] * 3 + ["status"] * 2)
    for i in range(n_routes - 1):
        kind = plan[i % len(plan)]
        site = f"site-{i % SITES}"
        if kind == "site":
            match: dict[str, Any] = {"tags": [site], "status": ["offline", "anomaly"]}
        elif kind == "camera":
            match = {"camera": [f"cam-{rng.randrange(50_000)}"]}
        elif kind == "license":
            match = {"license": f"LIC-{rng.randrange(LICENSES)}",
                     "anomalies": {"any": ["Blur", "Glare"], "min_score": 0.9}}
        elif kind == "glob":
            match = {"tags": {"any": [f"zone-{i % 50}-*"]}, "status": "offline",
                     "time": {"days": ["sat-sun"]}}
        elif kind == "when":
            match = {"license": f"LIC-{rng.randrange(LICENSES)}",
                     "when": f"'{site}' in tags and name.startswith('Cam 9')"}
        else:
            match = {"status": ["config_issue", "no_data"]}
        route: dict[str, Any] = {"name": f"r{i}", "match": match, "receivers": ["noc"],
                                 "continue": i % 7 == 0}
        if kind == "site" and i % 20 == 0:
            route["routes"] = [{"name": f"r{i}-night", "match": {"time": {
                "times": ["22:00-06:00"]}}, "receivers": ["night"]}]
        routes.append(route)
    routes.append({"name": "catch-all", "receivers": ["console"]})
    return {"receivers": {name: {"urls": ["log://"]} for name in ("noc", "night", "console")},
            "routes": routes}


def make_events(n: int, rng: random.Random) -> list[CameraEvent]:
    statuses = [Status.OFFLINE, Status.ANOMALY, Status.ANOMALY, Status.NORMAL]
    return [CameraEvent(
        alert_id=1, index=i, license=f"LIC-{rng.randrange(LICENSES)}",
        serial=f"cam-{rng.randrange(50_000)}", name=f"Cam {rng.randrange(100)}",
        tags=(f"site-{rng.randrange(SITES * 2)}", f"zone-{rng.randrange(60)}-a"),
        status=rng.choice(statuses), label="",
        anomalies={"Blur": rng.random()} if rng.random() < 0.5 else {},
    ) for i in range(n)]


def timed(rules: Rules, events: list[CameraEvent], trace: bool) -> float:
    # CPU time of this process: a busy machine slows the wall clock, not this.
    start = time.process_time()
    for e in events:
        route_event(rules, e, NOW, trace=trace)
    return time.process_time() - start


def naive(raw_routes: list[dict[str, Any]], rules: Rules, events: list[CameraEvent]) -> float:
    """Compile every route's matchers again for every event, then walk linearly."""
    start = time.process_time()
    for e in events:
        ctx = MatchContext(e, NOW, rules.sites)
        for raw in raw_routes:
            spec = MatchSpec.model_validate(raw.get("match") or {})
            if all(m.check(ctx) is None for m in _compile(spec)) and not raw.get("continue"):
                break
    return time.process_time() - start


def _compile(spec: MatchSpec) -> list[Any]:
    from router.rules.build import Builder
    from router.rules.models import RouteOptions, RulesSpec

    builder = Builder(RulesSpec.model_validate({"receivers": {"x": {"urls": ["log://"]}},
                                                "routes": [{"receivers": ["x"]}]}),
                      Path("."), lambda loc, msg: None)
    return list(builder._matchers(spec, RouteOptions()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routes", type=int, default=1000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--linear-sample", type=int, default=1000)
    parser.add_argument("--naive-sample", type=int, default=50)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    rng = random.Random(42)
    doc = make_rules(args.routes, rng)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rules.yaml"
        with path.open("w") as out:
            YAML(typ="safe").dump(doc, out)
        start = time.perf_counter()
        rules = load_rules(path, {})
        load_s = time.perf_counter() - start
    events = make_events(args.events, rng)
    total = sum(1 for _ in rules.walk())
    fast = timed(rules, events, trace=False)
    wall = time.perf_counter()
    timed(rules, events, trace=False)
    wall = time.perf_counter() - wall
    some = events[: args.linear_sample]
    linear = timed(rules, some, trace=True) * len(events) / len(some)
    sample = events[: args.naive_sample]
    naive_s = naive(doc["routes"], rules, sample) * len(events) / len(sample)
    same = all(route_event(rules, e, NOW, trace=False).matches
               == route_event(rules, e, NOW, trace=True).matches for e in events[:2000])
    print(f"rules: {total} routes ({args.routes} top-level incl. catch-all), loaded in "
          f"{load_s * 1000:.0f} ms; {len(events)} camera events; one core")
    print(f"{'mode':<10} {'total s':>9} {'events/s':>11} {'us/event':>9} {'vs indexed':>11}")
    for label, secs in (("indexed", fast), ("linear*", linear), ("naive*", naive_s)):
        print(f"{label:<10} {secs:>9.3f} {len(events) / secs:>11,.0f} "
              f"{secs / len(events) * 1e6:>9.1f} {secs / fast:>10.1f}x")
    print(f"* linear measured on {len(some)} events, naive on {len(sample)}, extrapolated; "
          f"CPU seconds (indexed wall clock: {wall:.3f} s, load {os.getloadavg()[0]:.1f})")
    print(f"indexed and linear give the same matches: {same}")
    print(f"target (all {len(events)} routed in < 1 s): {'met' if fast < 1 else 'MISSED'}")


if __name__ == "__main__":
    main()
