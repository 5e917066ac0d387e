"""``visionalert-router check``: validate rules, render every template and evaluate
every ``when`` expression on sample data, so template errors show before 3 a.m."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from router.channels.render import template_errors
from router.errors import Problem, RulesError
from router.model import CameraEvent, Status
from router.rules.conditions import WhenMatcher
from router.rules.context import MatchContext
from router.rules.loader import load_rules
from router.rules.models import Rules
from router.rules.templates import TemplateSet

SAMPLE_EVENTS = [
    CameraEvent(alert_id=1, index=0, license="LIC-ABC123", serial="Q2GV-ABCD-1234",
                name="Front Entrance", tags=("site-a",), status=Status.ANOMALY,
                label="Obstruction", anomalies={"Obstruction": 0.87},
                snapshot_url="https://app.platerecognizer.com/media/s.jpg",
                reference_url="https://app.platerecognizer.com/media/r.jpg", enriched=True),
    CameraEvent(alert_id=1, index=1, license="LIC-ABC123", serial="Q2GV-EFGH-5678",
                name="Parking Lot B", tags=("site-a",), status=Status.OFFLINE,
                label="Offline", enriched=False, enrichment_note="sample"),
]


def check_rules(path: Path) -> str:
    """Raise RulesError with every problem, or return a one-line summary."""
    rules = load_rules(path)
    problems = [*_template_problems(rules), *_when_problems(rules)]
    if problems:
        raise RulesError(sorted(problems, key=lambda p: (p.line, p.column, p.message)))
    routes = sum(1 for _ in rules.walk())
    return f"{len(rules.receivers)} receivers, {routes} routes"


# VisionAlert logs a camera at most every 15 minutes: the earliest a recovery shows.
LOG_CADENCE = 900.0


def check_warnings(path: Path, *, state_interval: float) -> list[Problem]:
    """Things that load but cannot work as written (printed, not refused)."""
    rules = load_rules(path)
    return list(_hold_warnings(rules, state_interval))


def _hold_warnings(rules: Rules, state_interval: float) -> Iterator[Problem]:
    needed = LOG_CADENCE + state_interval
    for route in rules.walk():
        hold = route.options.hold_for
        if not hold:
            continue
        where = f"{route.path}.hold_for"
        if not state_interval:
            yield _problem(rules, where, f"{where}: warning: hold_for needs the camera state "
                           "tracker to see a recovery, and ROUTER_STATE_INTERVAL is 0 (off): "
                           "every held message is sent when the hold ends")
        elif hold < needed:
            yield _problem(rules, where, f"{where}: warning: hold_for {hold:g}s is shorter than "
                           f"VisionAlert's 15-minute log cadence plus ROUTER_STATE_INTERVAL "
                           f"({needed:g}s): a recovery can never be seen in time, so the hold "
                           "only delays the message")


def _template_sets(rules: Rules) -> Iterator[tuple[str, TemplateSet]]:
    """(where it is written, template set) for every template the rules can use."""
    for name, template in rules.templates.items():
        yield f"templates.{name}", template
    for name, receiver in rules.receivers.items():
        if receiver.template is not None and receiver.template.name not in rules.templates:
            yield f"receivers.{name}", receiver.template
    for route in rules.walk():
        inline = route.options.template
        if inline is not None and inline.name not in rules.templates:
            yield f"{route.path}.template", inline


def _template_problems(rules: Rules) -> Iterator[Problem]:
    for where, template in _template_sets(rules):
        for error in template_errors(template, SAMPLE_EVENTS):
            yield _problem(rules, where, f"{where}: template error: {error}")


def _when_problems(rules: Rules) -> Iterator[Problem]:
    now = datetime(2024, 1, 1, 12, tzinfo=UTC)
    for route in rules.walk():
        for matcher in _when_matchers(route.matchers):
            for event in SAMPLE_EVENTS:
                failure = matcher.check(MatchContext(event, now, rules.sites))
                if failure is not None and not failure.endswith(" is false"):
                    where = f"{route.path}.match.when"
                    yield _problem(rules, where, f"{where}: {failure}")
                    break


def _when_matchers(matchers: tuple[object, ...]) -> Iterator[WhenMatcher]:
    for matcher in matchers:
        inner = getattr(matcher, "inner", matcher)
        if isinstance(inner, WhenMatcher):
            yield inner


def _problem(rules: Rules, where: str, message: str) -> Problem:
    line, column = rules.position(where)
    return Problem(str(rules.source), line, column, message)
