"""Plan: routed camera events -> items waiting in groups (one per event and match).

Each item knows its group (receiver, route, group key from ``group_by``), the
route's timing, its condition (for the notification log) and, with ``hold_for``,
when it may go out. Events that say a camera is ``normal`` are not items: they
resolve earlier notifications instead (store.routing).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from router.model import Status
from router.pipeline.group import Timing, group_key, group_labels
from router.pipeline.notify_log import condition_of, score_floors
from router.pipeline.route import Routed
from router.rules import Route, Rules


def target_key(url: str) -> str:
    """Identifies a target URL without storing it (it may carry a secret)."""
    return hashlib.sha256(url.encode()).hexdigest()


@dataclass(frozen=True)
class PlannedItem:
    event_index: int
    route: str
    receiver: str
    labels: dict[str, str]
    key: str
    timing: Timing
    condition: str
    held: bool
    due_at: float


def routes_by_name(rules: Rules) -> dict[str, Route]:
    walk = getattr(rules, "walk", None)
    found = list(walk()) if walk is not None else list(rules.routes)
    return {route.name: route for route in found}


def plan_items(rules: Rules, routed: Routed, now: float) -> list[PlannedItem]:
    routes = routes_by_name(rules)
    sites = getattr(rules, "sites", None) or {}
    planned = []
    for (route_name, receiver), events in routed.targets.items():
        route = routes.get(route_name)
        options = route.options if route is not None else rules.routes[0].options
        timing = Timing.of(options)
        floor, floors = score_floors(route.matchers if route is not None else ())
        for event in events:
            if event.status is Status.NORMAL:
                continue
            labels = group_labels(event, options.group_by, sites)
            planned.append(PlannedItem(
                event_index=event.index, route=route_name, receiver=receiver, labels=labels,
                key=group_key(labels), timing=timing,
                condition=condition_of(event, floor, floors),
                held=timing.hold_for > 0, due_at=now + timing.hold_for))
    return planned
