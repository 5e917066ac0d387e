"""Route: camera events x routing tree -> decisions and (route, receiver) groups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from router.model import CameraEvent, Decision
from router.rules import Rules, route_event


@dataclass(frozen=True)
class Routed:
    decisions: list[Decision]
    # (route, receiver) -> the events it receives, in alert order.
    by_receiver: dict[tuple[str, str], list[CameraEvent]]


def route_events(rules: Rules, events: Sequence[CameraEvent],
                 now: datetime | None = None) -> Routed:
    decisions: list[Decision] = []
    by_receiver: dict[tuple[str, str], list[CameraEvent]] = {}
    now = now or datetime.now(UTC)  # one instant for the whole alert
    for event in events:
        # The index skips routes that cannot match; an unrouted event is walked
        # again in full so its decision names why every route failed.
        result = route_event(rules, event, now, trace=False)
        if not result.matches:
            result = route_event(rules, event, now, trace=True)
        reasons = {step.route: step.reason for step in result.steps if step.matched}
        for match in result.matches:
            decisions.append(Decision(event.index, "routed", match.route, match.receiver,
                                      reasons.get(match.route, "matched")))
            by_receiver.setdefault((match.route, match.receiver), []).append(event)
        if not result.matches:
            why = "; ".join(f"{s.route}: {s.reason}" for s in result.steps) or "no routes"
            decisions.append(Decision(event.index, "unrouted", None, None,
                                      f"no route matched ({why})"))
    return Routed(decisions, by_receiver)
