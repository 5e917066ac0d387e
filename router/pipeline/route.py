"""Route: camera events x routing tree -> decisions and (route, receiver) groups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from router.model import CameraEvent, Decision
from router.rules import Rules, route_event


@dataclass(frozen=True)
class Routed:
    decisions: list[Decision]
    # (route, receiver) -> the events it receives, in alert order.
    targets: dict[tuple[str, str], list[CameraEvent]]


def route_events(rules: Rules, events: Sequence[CameraEvent]) -> Routed:
    decisions: list[Decision] = []
    targets: dict[tuple[str, str], list[CameraEvent]] = {}
    for event in events:
        result = route_event(rules, event)
        reasons = {step.route: step.reason for step in result.steps if step.matched}
        for match in result.matches:
            decisions.append(Decision(event.index, "routed", match.route, match.receiver,
                                      reasons.get(match.route, "matched")))
            targets.setdefault((match.route, match.receiver), []).append(event)
        if not result.matches:
            why = "; ".join(f"{s.route}: {s.reason}" for s in result.steps) or "no routes"
            decisions.append(Decision(event.index, "unrouted", None, None,
                                      f"no route matched ({why})"))
    return Routed(decisions, targets)
