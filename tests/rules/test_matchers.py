"""Every matcher kind, table-driven: hits, misses with their reason, and negation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from router.model import CameraEvent, Status
from router.rules import RouteStep, Rules, route_event
from tests.support.rules import event, rules_from

MONDAY_NOON = datetime(2024, 3, 4, 12, 0, tzinfo=UTC)


def one_route(tmp_path: Path, match: str, extra: str = "") -> Rules:
    return rules_from(tmp_path, f"""\
        {extra}
        receivers:
          noc: {{urls: ["log://"]}}
        routes:
          - name: only
            match: {match}
            receivers: [noc]
        """)


def step(tmp_path: Path, match: str, camera: CameraEvent, now: datetime = MONDAY_NOON,
         extra: str = "") -> RouteStep:
    decision = route_event(one_route(tmp_path, match, extra), camera, now)
    (found,) = decision.steps
    assert bool(decision.matches) is found.matched
    return found


SITE_A = ("site-a", "door")

CASES = [
    # (id, match, event, matched, reason)
    # -- tags: exact, globs, any/all/none, negation
    ("tags glob any", "{tags: ['site-*']}", event(SITE_A), True, "tags any [site-*]"),
    ("tags glob miss", "{tags: ['lab-*']}", event(SITE_A), False,
     "tags: none of [lab-*] in [site-a, door]"),
    ("tags glob all", "{tags: {all: ['site-?', door]}}", event(SITE_A), True,
     "tags all [site-?, door]"),
    ("tags glob none", "{tags: {none: ['d*']}}", event(SITE_A), False,
     "tags: [door] excluded by none [d*]"),
    ("tags negated", "{not: {tags: [door]}}", event(SITE_A), False,
     "not: tags any [door] holds"),
    ("tags negated hit", "{not: {tags: [lab]}}", event(SITE_A), True, "not tags any [lab]"),
    # -- anomalies: scores, per type, unknown scores
    ("min_score global hit", "{anomalies: {any: [Blur], min_score: 0.8}}",
     event(anomalies={"Blur": 0.85}), True, "anomalies any [Blur] at min_score 0.8"),
    ("min_score global miss", "{anomalies: {any: [Blur], min_score: 0.8}}",
     event(anomalies={"Blur": 0.5}), False,
     "anomalies: none of [Blur] at min_score 0.8 in [Blur 0.5]"),
    ("unknown score never reaches a floor", "{anomalies: {any: [Blur], min_score: 0.1}}",
     event(anomalies={"Blur": None}), False,
     "anomalies: none of [Blur] at min_score 0.1 in [Blur no score]"),
    ("per-type floor, other type free", "{anomalies: {any: [Blur, Glare], "
     "min_score: {Blur: 0.9}}}", event(anomalies={"Blur": 0.5, "Glare": None}), True,
     "anomalies any [Blur, Glare] at min_score {Blur 0.9}"),
    ("per-type floor miss", "{anomalies: {any: [blur], min_score: {BLUR: 0.9}}}",
     event(anomalies={"Blur": 0.89}), False,
     "anomalies: none of [Blur] at min_score {Blur 0.9} in [Blur 0.89]"),
    ("min_score alone: any anomaly above", "{anomalies: {min_score: 0.7}}",
     event(anomalies={"Glare": 0.75}), True, "anomalies at min_score 0.7"),
    ("min_score alone: none above", "{anomalies: {min_score: 0.7}}",
     event(anomalies={"Glare": 0.6}), False,
     "anomalies: none at min_score 0.7 in [Glare 0.6]"),
    ("all with floors", "{anomalies: {all: [Blur, Glare], min_score: 0.5}}",
     event(anomalies={"Blur": 0.9, "Glare": 0.4}), False,
     "anomalies: [Glare] missing, all of [Blur, Glare] at min_score 0.5 required, "
     "in [Blur 0.9, Glare 0.4]"),
    ("other anomaly strings", "{anomalies: [Lens flare]}", event(anomalies={"lens FLARE": 0.4}),
     True, "anomalies any [Lens flare]"),
    ("anomalies negated", "{not: {anomalies: [Blur]}}", event(anomalies={"Blur": 0.9}), False,
     "not: anomalies any [Blur] holds"),
    # -- status: case-insensitive, shorthand
    ("status upper case", "{status: OFFLINE}", event(status=Status.OFFLINE), True,
     "status any [offline]"),
    ("status words", "{status: ['Config Issue']}", event(status=Status.CONFIG_ISSUE), True,
     "status any [config_issue]"),
    ("status miss", "{status: [offline]}", event(), False, "status: anomaly not in [offline]"),
    ("status negated", "{not: {status: offline}}", event(status=Status.OFFLINE), False,
     "not: status any [offline] holds"),
    # -- camera: serial or name, exact, glob, regex
    ("camera serial", "{camera: Q2GV-1}", event(serial="Q2GV-1"), True, "camera any [Q2GV-1]"),
    ("camera name glob", "{camera: ['Front *']}", event(), True, "camera any [Front *]"),
    ("camera regex", "{camera: ['re:Q2GV-\\d+']}", event(serial="Q2GV-42"), True,
     "camera any [re:Q2GV-\\d+]"),
    ("camera regex is anchored", "{camera: ['re:Q2GV']}", event(serial="Q2GV-42"), False,
     "camera: Q2GV-42 / Front Entrance not in [re:Q2GV]"),
    ("camera negated", "{not: {camera: ['Front*']}}", event(), False,
     "not: camera any [Front*] holds"),
    # -- license
    ("license", "{license: LIC-ABC123}", event(), True, "license any [LIC-ABC123]"),
    ("license glob miss", "{license: ['LIC-X*']}", event(), False,
     "license: LIC-ABC123 not in [LIC-X*]"),
    ("license negated", "{not: {license: [LIC-ABC123]}}", event(), False,
     "not: license any [LIC-ABC123] holds"),
    # -- enriched
    ("enriched true miss", "{enriched: true}", event(), False,
     "enriched: false, expected true"),
    ("enriched false", "{enriched: false}", event(), True, "enriched false"),
    ("enriched negated", "{not: {enriched: false}}", event(enriched=True), True,
     "not enriched false"),
    # -- when
    ("when true", "{when: \"'door' in tags and name.startswith('Front')\"}", event(SITE_A),
     True, "when \"'door' in tags and name.startswith('Front')\""),
    ("when false", "{when: 'anomalies.Blur is defined and anomalies.Blur > 0.5'}",
     event(anomalies={"Blur": 0.2}), False,
     "when: 'anomalies.Blur is defined and anomalies.Blur > 0.5' is false"),
    ("when error is a non-match", "{when: 'anomalies.Blur > 0.5'}", event(), False,
     "when: 'anomalies.Blur > 0.5' failed: UndefinedError: 'dict object' has no attribute "
     "'Blur'"),
    ("when negated", "{not: {when: 'enriched'}}", event(), True, "not when 'enriched'"),
    ("when sees the event mapping", "{when: \"event.license == 'LIC-ABC123'\"}", event(), True,
     "when \"event.license == 'LIC-ABC123'\""),
]


@pytest.mark.parametrize(("match", "camera", "matched", "reason"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_matcher(tmp_path: Path, match: str, camera: CameraEvent, matched: bool,
                 reason: str) -> None:
    assert step(tmp_path, match, camera) == RouteStep("only", matched, reason)


# ---------------------------------------------------------------- time windows


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


TIME_CASES = [
    # (id, match, extra top-level keys, camera, instant, matched)
    ("weekday range inside", "{time: {days: [mon-fri], times: ['08:00-18:00']}}", "",
     event(), at("2024-03-04T09:00:00+00:00"), True),
    ("weekday range: saturday", "{time: {days: [mon-fri], times: ['08:00-18:00']}}", "",
     event(), at("2024-03-09T09:00:00+00:00"), False),
    ("end is exclusive", "{time: {times: ['08:00-18:00']}}", "",
     event(), at("2024-03-04T18:00:00+00:00"), False),
    ("across midnight, evening of the day", "{time: {days: [fri], times: ['22:00-06:00']}}",
     "", event(), at("2024-03-08T23:30:00+00:00"), True),
    ("across midnight, morning after belongs to friday",
     "{time: {days: [fri], times: ['22:00-06:00']}}", "", event(),
     at("2024-03-09T05:59:00+00:00"), True),
    ("across midnight, thursday night is not friday's",
     "{time: {days: [fri], times: ['22:00-06:00']}}", "", event(),
     at("2024-03-08T05:00:00+00:00"), False),
    ("day range wrapping the week", "{time: {days: [sat-mon]}}", "", event(),
     at("2024-03-04T12:00:00+00:00"), True),
    ("timezone of the window", "{time: {times: ['08:00-09:00'], timezone: Asia/Tokyo}}", "",
     event(), at("2024-03-03T23:30:00+00:00"), True),
    # Europe/Berlin springs forward on 2024-03-31 at 02:00 -> 03:00.
    ("DST: 08:00-09:00 Berlin is 07:xx UTC in winter",
     "{time: {times: ['08:00-09:00'], timezone: Europe/Berlin}}", "", event(),
     at("2024-03-30T07:30:00+00:00"), True),
    ("DST: the same UTC time is 09:30 in summer",
     "{time: {times: ['08:00-09:00'], timezone: Europe/Berlin}}", "", event(),
     at("2024-03-31T07:30:00+00:00"), False),
    ("DST: 06:30 UTC is 08:30 in summer",
     "{time: {times: ['08:00-09:00'], timezone: Europe/Berlin}}", "", event(),
     at("2024-03-31T06:30:00+00:00"), True),
    ("DST night: 00:30 UTC is 01:30 CET, inside 01:00-03:00",
     "{time: {times: ['01:00-03:00'], timezone: Europe/Berlin}}", "", event(),
     at("2024-03-31T00:30:00+00:00"), True),
    ("DST night: 01:30 UTC is 03:30 CEST, the skipped hour never happens",
     "{time: {times: ['01:00-03:00'], timezone: Europe/Berlin}}", "", event(),
     at("2024-03-31T01:30:00+00:00"), False),
    ("site timezone from the sites map", "{time: {times: ['08:00-09:00']}}",
     "sites: {site-ny: America/New_York}", event(("site-ny",)),
     at("2024-03-04T13:30:00+00:00"), True),
    ("no site: the route's timezone", "{time: {times: ['08:00-09:00']}}",
     "defaults: {timezone: America/New_York}", event(("elsewhere",)),
     at("2024-03-04T13:30:00+00:00"), True),
    ("no timezone anywhere: UTC", "{time: {times: ['08:00-09:00']}}", "", event(),
     at("2024-03-04T13:30:00+00:00"), False),
    ("named interval", "{time: night}",
     "time_intervals: {night: [{times: ['22:00-06:00']}, {days: [sun]}]}", event(),
     at("2024-03-10T12:00:00+00:00"), True),
    ("several windows, any of them", "{time: [night, {days: [wed]}]}",
     "time_intervals: {night: {times: ['22:00-06:00']}}", event(),
     at("2024-03-06T12:00:00+00:00"), True),
    ("negated window: outside business hours", "{not: {time: {times: ['08:00-18:00']}}}", "",
     event(), at("2024-03-04T12:00:00+00:00"), False),
]


@pytest.mark.parametrize(("match", "extra", "camera", "now", "matched"),
                         [c[1:] for c in TIME_CASES], ids=[c[0] for c in TIME_CASES])
def test_time_window(tmp_path: Path, match: str, extra: str, camera: CameraEvent,
                     now: datetime, matched: bool) -> None:
    assert step(tmp_path, match, camera, now, extra).matched is matched


def test_time_failure_names_the_local_time(tmp_path: Path) -> None:
    found = step(tmp_path, "{time: {days: [mon-fri], times: ['08:00-18:00'], "
                           "timezone: Europe/Berlin}}", event(), at("2024-03-04T20:00:00+00:00"))
    assert found.reason == "time: Mon 21:00 Europe/Berlin is outside mon-fri 08:00-18:00 " \
                           "Europe/Berlin"


def test_naive_now_is_utc_and_default_is_the_current_time(tmp_path: Path) -> None:
    rules = one_route(tmp_path, "{time: {times: ['08:00-09:00']}}")
    assert route_event(rules, event(), datetime(2024, 3, 4, 8, 30)).matches
    assert route_event(rules, event()).steps  # now = the current time, no error


def test_all_matchers_combine_with_and(tmp_path: Path) -> None:
    match = ("{tags: ['site-*'], anomalies: {any: [Blur], min_score: 0.5}, status: anomaly, "
             "camera: ['Front*'], license: ['LIC-*'], enriched: true, "
             "time: {days: [mon]}, when: \"'door' in tags\", not: {tags: [lab]}}")
    rich = event(SITE_A, anomalies={"Blur": 0.9}, enriched=True)
    assert step(tmp_path, match, rich).matched
    assert step(tmp_path, match, event(SITE_A, anomalies={"Blur": 0.9})).reason == \
        "enriched: false, expected true"
