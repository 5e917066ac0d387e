"""The route tree: depth-first, first match wins among siblings, continue, inheritance of
timing options and templates, the catch-all; and the index gives the same matches."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from router.model import CameraEvent, Status
from router.rules import RouteOptions, route_event
from tests.support.rules import event, rules_from

TREE = """\
    defaults: {group_wait: 10s, repeat_interval: 2h, timezone: Europe/Berlin}
    templates:
      terse: {title: "{{ event.name }}"}
    receivers:
      noc: {urls: ["log://"]}
      site-a: {urls: ["log://"]}
      night: {urls: ["log://"]}
      console: {urls: ["log://"]}
    routes:
      - name: site-a
        match: {tags: [site-a]}
        receivers: [site-a]
        group_by: [site, camera]
        template: terse
        routes:
          - name: site-a-offline
            match: {status: offline}
            receivers: [noc]
            group_wait: 1m
            continue: true
          - name: site-a-blur
            match: {anomalies: [Blur]}
            send_resolved: true
            routes:
              - name: site-a-blur-night
                match: {time: {times: ["22:00-06:00"]}}
                receivers: [night]
                hold_for: 5m
          - name: site-a-offline-too
            match: {status: offline}
      - name: offline
        match: {status: offline}
        receivers: [noc]
      - name: catch-all
        receivers: [console]
    """

NOON = datetime(2024, 3, 4, 11, tzinfo=UTC)
MIDNIGHT = datetime(2024, 3, 4, 23, tzinfo=UTC)

CASES = [
    # (id, event, now, matches as (route, receiver), steps as (route, matched))
    ("parent matches, no child: the parent itself", event(("site-a",), anomalies={"Glare": 1}),
     NOON, [("site-a", "site-a")],
     [("site-a", True), ("site-a-offline", False), ("site-a-blur", False),
      ("site-a-offline-too", False)]),
    ("child with continue, then its next sibling", event(("site-a",), Status.OFFLINE), NOON,
     [("site-a-offline", "noc"), ("site-a-offline-too", "site-a")],
     [("site-a", True), ("site-a-offline", True), ("site-a-blur", False),
      ("site-a-offline-too", True)]),
    ("first match wins: later siblings of the parent are not tried",
     event(("site-a",), Status.OFFLINE), NOON, None, None),
    ("depth-first into a grandchild", event(("site-a",), anomalies={"Blur": 1}), MIDNIGHT,
     [("site-a-blur-night", "night")],
     [("site-a", True), ("site-a-offline", False), ("site-a-blur", True),
      ("site-a-blur-night", True)]),
    ("grandchild does not match: its parent sends, receivers inherited",
     event(("site-a",), anomalies={"Blur": 1}), NOON, [("site-a-blur", "site-a")],
     [("site-a", True), ("site-a-offline", False), ("site-a-blur", True),
      ("site-a-blur-night", False)]),
    ("another site: top-level siblings", event(("site-b",), Status.OFFLINE), NOON,
     [("offline", "noc")], [("site-a", False), ("offline", True)]),
    ("catch-all", event(("site-b",)), NOON, [("catch-all", "console")],
     [("site-a", False), ("offline", False), ("catch-all", True)]),
]


@pytest.mark.parametrize(("camera", "now", "matches", "steps"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_tree(tmp_path: Path, camera: CameraEvent, now: datetime,
              matches: list[tuple[str, str]] | None, steps: list[tuple[str, bool]] | None
              ) -> None:
    decision = route_event(rules_from(tmp_path, TREE), camera, now)
    if matches is None:  # "offline" and "catch-all" are never tried
        assert {s.route for s in decision.steps}.isdisjoint({"offline", "catch-all"})
        return
    assert [(m.route, m.receiver) for m in decision.matches] == matches
    assert [(s.route, s.matched) for s in decision.steps] == steps


def test_timing_options_are_inherited_and_overridden(tmp_path: Path) -> None:
    rules = rules_from(tmp_path, TREE)
    options = {r.name: r.options for r in rules.walk()}
    terse = rules.templates["terse"]
    assert rules.defaults == RouteOptions(group_wait=10.0, repeat_interval=7200.0,
                                          timezone="Europe/Berlin")
    assert options["site-a"] == RouteOptions(
        group_by=("site", "camera"), group_wait=10.0, repeat_interval=7200.0,
        timezone="Europe/Berlin", template=terse)
    assert options["site-a-offline"].group_wait == 60.0
    assert options["site-a-offline"].group_by == ("site", "camera")
    assert options["site-a-blur"].send_resolved is True
    night = options["site-a-blur-night"]
    assert (night.send_resolved, night.hold_for, night.template) == (True, 300.0, terse)
    assert options["catch-all"] == rules.defaults
    assert options["offline"].template is None


def test_matches_carry_the_route_options(tmp_path: Path) -> None:
    decision = route_event(rules_from(tmp_path, TREE), event(("site-a",), Status.OFFLINE), NOON)
    assert [m.options.group_wait for m in decision.matches] == [60.0, 10.0]


def test_defaults_apply_without_a_defaults_block(tmp_path: Path) -> None:
    rules = rules_from(tmp_path, """\
        receivers: {noc: {urls: ["log://"]}}
        routes: [{receivers: [noc]}]
        """)
    assert rules.routes[0].options == RouteOptions()
    assert RouteOptions().group_wait == 30.0


DURATIONS = [("30s", 30.0), ("5m", 300.0), ("4h", 14400.0), ("1d", 86400.0),
             ("1h30m", 5400.0), ("0.5s", 0.5), ("90", 90.0), ("0", 0.0)]


@pytest.mark.parametrize(("written", "seconds"), DURATIONS)
def test_durations(tmp_path: Path, written: str, seconds: float) -> None:
    rules = rules_from(tmp_path, f"""\
        receivers: {{noc: {{urls: ["log://"]}}}}
        routes: [{{receivers: [noc], group_interval: {written}}}]
        """)
    assert rules.routes[0].options.group_interval == seconds


def test_index_gives_the_same_matches_as_a_full_walk(tmp_path: Path) -> None:
    lines = ["receivers:", "  a: {urls: ['log://']}", "  b: {urls: ['log://']}", "routes:"]
    for i in range(60):
        kind = i % 5
        match = [f"{{camera: cam-{i}}}", f"{{tags: [t{i % 7}], status: offline}}",
                 f"{{license: L{i % 3}, anomalies: [Blur]}}", "{tags: ['t*'], status: anomaly}",
                 f"{{status: [normal, no_data], not: {{tags: [t{i % 4}]}}}}"][kind]
        cont = "true" if i % 4 == 0 else "false"
        lines.append(f"  - {{match: {match}, receivers: [{'ab'[i % 2]}], continue: {cont}}}")
    lines.append("  - {receivers: [a]}")
    rules = rules_from(tmp_path, "\n".join(lines) + "\n")
    rng = random.Random(7)
    statuses = [Status.OFFLINE, Status.ANOMALY, Status.NORMAL, Status.NO_DATA]
    for _ in range(500):
        camera = event(tuple(f"t{rng.randrange(9)}" for _ in range(rng.randrange(3))),
                       rng.choice(statuses), {"Blur": 0.5} if rng.random() < 0.5 else {},
                       serial=f"cam-{rng.randrange(70)}", license=f"L{rng.randrange(4)}")
        fast = route_event(rules, camera, NOON, trace=False)
        full = route_event(rules, camera, NOON, trace=True)
        assert fast.matches == full.matches
        assert [s for s in fast.steps if s.matched] == [s for s in full.steps if s.matched]
