"""``route_event``: which (route, receiver) pairs a camera event goes to, and why.

Alertmanager semantics over the ordered ``routes`` list: every route is tried
in order; the first that matches ends the walk unless it says ``continue: true``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from router.model import CameraEvent
from router.rules.models import RouteOptions, Rules


@dataclass(frozen=True)
class RouteMatch:
    """The event goes to ``receiver`` because of ``route``, with that route's options."""

    route: str
    receiver: str
    options: RouteOptions = field(default_factory=RouteOptions, compare=False)


@dataclass(frozen=True)
class RouteStep:
    """One route tried: why it matched, or the first matcher that failed."""

    route: str
    matched: bool
    reason: str


@dataclass(frozen=True)
class RoutingDecision:
    """Every match (a receiver reached by two routes appears twice) and every step."""

    matches: tuple[RouteMatch, ...]
    steps: tuple[RouteStep, ...]


def route_event(rules: Rules, event: CameraEvent) -> RoutingDecision:
    """Route one camera event; pure, and cheap (matchers are compiled at load)."""
    matches: list[RouteMatch] = []
    steps: list[RouteStep] = []
    for route in rules.routes:
        failure = route.check(event)
        if failure is not None:
            steps.append(RouteStep(route.name, False, failure))
            continue
        steps.append(RouteStep(route.name, True, route.reason))
        matches.extend(RouteMatch(route.name, receiver, route.options)
                       for receiver in route.receivers)
        if not route.continue_:
            break
    return RoutingDecision(tuple(matches), tuple(steps))
