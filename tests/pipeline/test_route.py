"""route_event: matchers, first-match-wins, continue, catch-all, and the explanations."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from router.model import CameraEvent, Status
from router.rules import RouteMatch, RouteStep, RoutingDecision, Rules, load_rules, route_event

ROOT = Path(__file__).resolve().parents[2]


def event(tags: tuple[str, ...] = (), status: Status = Status.ANOMALY,
          anomalies: Mapping[str, float | None] | None = None) -> CameraEvent:
    return CameraEvent(alert_id=1, index=0, license="LIC-ABC123", serial="cam-1",
                       name="Front Entrance", tags=tags, status=status,
                       label="Anomaly", anomalies=anomalies or {})


def rules_from(tmp_path: Path, text: str) -> Rules:
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent(text))
    return load_rules(path, {})


def one_route(tmp_path: Path, match: str) -> Rules:
    return rules_from(tmp_path, f"""\
        receivers:
          noc: {{urls: ["log://"]}}
        routes:
          - name: only
            match: {match}
            receivers: [noc]
        """)


SITE_A = ("site-a", "door")
OBSTRUCTED = {"Obstruction": 0.87}

MATCHES = [
    # (id, match as written, event, the reason it matched)
    ("tags any: hit", "{tags: {any: [site-a, site-b]}}", event(SITE_A),
     "tags any [site-a, site-b]"),
    ("tags shorthand is any", "{tags: [site-b, door]}", event(SITE_A), "tags any [site-b, door]"),
    ("tags all: hit", "{tags: {all: [site-a, door]}}", event(SITE_A), "tags all [site-a, door]"),
    ("tags none: hit", "{tags: {none: [test]}}", event(SITE_A), "tags none [test]"),
    ("tags any + none", "{tags: {any: [site-a], none: [test]}}", event(SITE_A),
     "tags any [site-a], none [test]"),
    ("anomalies any, case-insensitive", "{anomalies: {any: [OBSTRUCTION, glare]}}",
     event(anomalies=OBSTRUCTED), "anomalies any [Obstruction, Glare]"),
    ("anomalies spacing and case", "{anomalies: [position  CHANGE]}",
     event(anomalies={"Position change": 0.6}), "anomalies any [Position change]"),
    ("status shorthand, label spelling", "{status: [Offline]}", event(status=Status.OFFLINE),
     "status any [offline]"),
    ("all matchers must hold", "{tags: [site-a], anomalies: [Obstruction], status: [anomaly]}",
     event(SITE_A, anomalies=OBSTRUCTED),
     "tags any [site-a]; anomalies any [Obstruction]; status any [anomaly]"),
    ("empty match is a catch-all", "{}", event(), "catch-all"),
    ("null match is a catch-all", "null", event(), "catch-all"),
]

MISSES = [
    # (id, match as written, event, the reason it did not match: the first failing matcher)
    ("tags any: miss", "{tags: {any: [site-b]}}", event(SITE_A),
     "tags: none of [site-b] in [site-a, door]"),
    ("tags are case-sensitive", "{tags: [Site-A]}", event(SITE_A),
     "tags: none of [Site-A] in [site-a, door]"),
    ("tags any on an untagged camera", "{tags: [site-a]}", event(),
     "tags: none of [site-a] in []"),
    ("tags all: miss", "{tags: {all: [site-a, roof]}}", event(SITE_A),
     "tags: [roof] missing, all of [site-a, roof] required, in [site-a, door]"),
    ("tags none: miss", "{tags: {none: [test, door]}}", event(SITE_A),
     "tags: [door] excluded by none [test, door]"),
    ("anomalies any: miss", "{anomalies: {any: [Blur]}}", event(anomalies=OBSTRUCTED),
     "anomalies: none of [Blur] in [Obstruction]"),
    ("anomalies all: miss", "{anomalies: {all: [obstruction, blur]}}",
     event(anomalies=OBSTRUCTED),
     "anomalies: [Blur] missing, all of [Obstruction, Blur] required, in [Obstruction]"),
    ("anomalies of an offline camera", "{anomalies: [Blur]}", event(status=Status.OFFLINE),
     "anomalies: none of [Blur] in []"),
    ("status any: miss", "{status: {any: [offline, no data]}}", event(),
     "status: anomaly not in [offline, no_data]"),
    ("the first failing matcher is the reason", "{tags: [site-a], anomalies: [Blur], "
     "status: [offline]}", event(SITE_A, anomalies=OBSTRUCTED),
     "anomalies: none of [Blur] in [Obstruction]"),
]


@pytest.mark.parametrize(("match", "camera", "reason"), [c[1:] for c in MATCHES],
                         ids=[c[0] for c in MATCHES])
def test_matcher_matches(tmp_path: Path, match: str, camera: CameraEvent, reason: str) -> None:
    decision = route_event(one_route(tmp_path, match), camera)
    assert decision.steps == (RouteStep("only", True, reason),)
    assert decision.matches == (RouteMatch("only", "noc"),)


@pytest.mark.parametrize(("match", "camera", "reason"), [c[1:] for c in MISSES],
                         ids=[c[0] for c in MISSES])
def test_matcher_fails(tmp_path: Path, match: str, camera: CameraEvent, reason: str) -> None:
    decision = route_event(one_route(tmp_path, match), camera)
    assert decision.steps == (RouteStep("only", False, reason),)
    assert decision.matches == ()


FLOW = """\
    receivers:
      noc: {urls: ["log://"]}
      site-a-oncall: {urls: ["log://"]}
      console: {urls: ["log://"]}
    routes:
      - name: offline
        match: {status: [offline]}
        receivers: [noc]
      - name: site-a-obstruction
        match: {tags: [site-a], anomalies: [Obstruction]}
        receivers: [site-a-oncall, noc]
        continue: true
      - name: site-a-any
        match: {tags: [site-a]}
        receivers: [site-a-oncall]
      - receivers: [console]
    """

FLOW_CASES = [
    # (id, event, matches as (route, receiver), steps as (route, matched))
    ("first match wins, later routes are not tried", event(SITE_A, Status.OFFLINE),
     [("offline", "noc")], [("offline", True)]),
    ("continue goes on; two receivers give two matches; same receiver twice",
     event(SITE_A, anomalies=OBSTRUCTED),
     [("site-a-obstruction", "site-a-oncall"), ("site-a-obstruction", "noc"),
      ("site-a-any", "site-a-oncall")],
     [("offline", False), ("site-a-obstruction", True), ("site-a-any", True)]),
    ("catch-all takes the rest (default name)", event(("site-b",), anomalies={"Blur": 0.5}),
     [("routes[3]", "console")],
     [("offline", False), ("site-a-obstruction", False), ("site-a-any", False),
      ("routes[3]", True)]),
]


@pytest.mark.parametrize(("camera", "matches", "steps"), [c[1:] for c in FLOW_CASES],
                         ids=[c[0] for c in FLOW_CASES])
def test_route_order(tmp_path: Path, camera: CameraEvent, matches: list[tuple[str, str]],
                     steps: list[tuple[str, bool]]) -> None:
    decision = route_event(rules_from(tmp_path, FLOW), camera)
    assert [(m.route, m.receiver) for m in decision.matches] == matches
    assert [(s.route, s.matched) for s in decision.steps] == steps


def test_no_route_matches_and_the_steps_say_why(tmp_path: Path) -> None:
    rules = rules_from(tmp_path, """\
        receivers:
          noc: {urls: ["log://"]}
        routes:
          - name: offline
            match: {status: [offline]}
            receivers: [noc]
          - name: site-a
            match: {tags: {any: [site-a]}}
            receivers: [noc]
        """)
    decision = route_event(rules, event(("site-b",), anomalies={"Glare": None}))
    assert decision == RoutingDecision(matches=(), steps=(
        RouteStep("offline", False, "status: anomaly not in [offline]"),
        RouteStep("site-a", False, "tags: none of [site-a] in [site-b]"),
    ))


def test_route_event_is_pure(tmp_path: Path) -> None:
    rules = rules_from(tmp_path, FLOW)
    camera = event(SITE_A, anomalies=OBSTRUCTED)
    assert route_event(rules, camera) == route_event(rules, camera)


def test_shipped_rules_out_of_hours_use_the_child_route() -> None:
    evening = datetime(2024, 3, 4, 19, 30, tzinfo=UTC)  # 19:30 in London
    rules = load_rules(ROOT / "rules.yaml", {})
    decision = route_event(rules, event(("site-a",), anomalies={"Blur": 0.9}), evening)
    assert [(m.route, m.receiver) for m in decision.matches] == [
        ("site-a-out-of-hours", "site-a-oncall"), ("everything-else", "console")]
    assert decision.matches[0].options.group_wait == 60.0
    assert rules.defaults.group_wait == 5.0  # the demo shows a message within seconds


SHIPPED_CASES = [
    ("offline camera", event(("site-a",), Status.OFFLINE), [("offline", "noc")]),
    ("site A blocked view also reaches the catch-all", event(("site-a",), anomalies=OBSTRUCTED),
     [("site-a-view-blocked", "site-a-oncall"), ("everything-else", "console")]),
    ("site A blur", event(("site-a",), anomalies={"blur": 0.7}),
     [("site-a-view-blocked", "site-a-oncall"), ("everything-else", "console")]),
    ("site A glare goes to the catch-all only", event(("site-a",), anomalies={"Glare": 0.7}),
     [("everything-else", "console")]),
    ("another site", event(("site-b",), anomalies=OBSTRUCTED), [("everything-else", "console")]),
]


@pytest.mark.parametrize(("camera", "matches"), [c[1:] for c in SHIPPED_CASES],
                         ids=[c[0] for c in SHIPPED_CASES])
def test_shipped_rules(camera: CameraEvent, matches: list[tuple[str, str]]) -> None:
    office_hours = datetime(2024, 3, 4, 10, tzinfo=UTC)  # a Monday
    decision = route_event(load_rules(ROOT / "rules.yaml", {}), camera, office_hours)
    assert [(m.route, m.receiver) for m in decision.matches] == matches
