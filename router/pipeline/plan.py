"""Plan: routed camera events -> items waiting in groups (one per event and match).

Each item knows its group (receiver, route, group key from ``group_by``), the
route's timing, its condition (for the notification log) and, with ``hold_for``,
when it may go out. Events that say a camera is ``normal`` are not items: they
resolve earlier notifications instead (store.routing).
"""

from __future__ import annotations

import hashlib

from router.model import Status
from router.model.groups import GroupItem
from router.pipeline.flush.notify_log import condition_of, score_floors
from router.pipeline.group import group_key, group_labels, timing_of
from router.pipeline.route import Routed
from router.rules import Route, Rules


def target_key(url: str) -> str:
    """Identifies a target URL without storing it (it may carry a secret)."""
    return hashlib.sha256(url.encode()).hexdigest()


def routes_by_name(rules: Rules) -> dict[str, Route]:
    return {route.name: route for route in rules.walk()}


def plan_items(rules: Rules, routed: Routed, now: float) -> list[GroupItem]:
    routes = routes_by_name(rules)
    planned = []
    for (route_name, receiver), events in routed.by_receiver.items():
        route = routes.get(route_name)
        options = route.options if route is not None else rules.routes[0].options
        timing = timing_of(options)
        floor, floors = score_floors(route.matchers if route is not None else ())
        for event in events:
            if event.status is Status.NORMAL:
                continue
            labels = group_labels(event, options.group_by, rules.sites)
            planned.append(GroupItem(
                receiver=receiver, route=route_name, key=group_key(labels), event=event,
                condition=condition_of(event, floor, floors), timing=timing, labels=labels,
                held=timing.hold_for > 0, due_at=now + timing.hold_for))
    return planned
