"""``route_event``: which (route, receiver) pairs a camera event goes to, and why.

Alertmanager semantics over the route tree, depth-first: among siblings, routes
are tried in order and the first that matches ends the walk of that level unless
it says ``continue: true``. A matching route's children are tried next; if none
of them matches, the route itself is the match and its receivers get the event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from router.model import CameraEvent
from router.rules.context import MatchContext
from router.rules.index import SiblingIndex
from router.rules.models import Route, RouteOptions, Rules


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


def route_event(rules: Rules, event: CameraEvent, now: datetime | None = None, *,
                trace: bool = True) -> RoutingDecision:
    """Route one camera event at ``now`` (default: the current time); pure.

    ``trace=True`` tries every route in order, so ``steps`` explains each one.
    ``trace=False`` (the pipeline) lets the per-level index skip routes that
    cannot match and builds no failure reasons: the same matches, but ``steps``
    lists only the routes that matched.
    """
    when = datetime.now(UTC) if now is None else _aware(now)
    walk = _Walk(MatchContext(event, when, rules.sites), trace)
    walk.level(rules.routes, rules.index)
    return RoutingDecision(tuple(walk.matches), tuple(walk.steps))


def _aware(now: datetime) -> datetime:
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


class _Walk:
    __slots__ = ("ctx", "matches", "steps", "trace")

    def __init__(self, ctx: MatchContext, trace: bool) -> None:
        self.ctx = ctx
        self.trace = trace
        self.matches: list[RouteMatch] = []
        self.steps: list[RouteStep] = []

    def level(self, routes: Sequence[Route], index: SiblingIndex) -> bool:
        """Try one level of siblings; True if any of them matched."""
        if self.trace or not index.useful:
            order: Sequence[Route] = routes
        else:
            order = [routes[i] for i in index.candidates(self.ctx.event)]
        matched = False
        for route in order:
            if self.trace:
                failure = route.check(self.ctx)
                if failure is not None:
                    self.steps.append(RouteStep(route.name, False, failure))
                    continue
            elif not route.holds(self.ctx):
                continue
            matched = True
            self.steps.append(RouteStep(route.name, True, route.reason))
            if not route.routes or not self.level(route.routes, route.index):
                self.matches.extend(RouteMatch(route.name, receiver, route.options)
                                    for receiver in route.receivers)
            if not route.continue_:
                break
        return matched
