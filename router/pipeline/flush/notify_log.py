"""Notification-log stage: send a camera's condition to a receiver again, or not.

Per (receiver, camera) the log remembers the condition last sent and when.
The same condition stays quiet for ``repeat_interval``; a changed condition (a
status change, a new anomaly type, a score crossing the route's ``min_score``)
goes out at the next flush, as Alertmanager's notification log does per group.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from router.model import CameraEvent, label_key
from router.model.reasons import Reason
from router.model.sent import Sent

_MAX_CONDITION = 400


def score_floors(matchers: Iterable[object]) -> tuple[float | None, Mapping[str, float]]:
    """A route's ``min_score`` (global, per anomaly type), read off its anomaly matchers."""
    for matcher in matchers:
        floor = getattr(matcher, "min_score", None)
        if isinstance(floor, int | float):
            return float(floor), {}
        if isinstance(floor, Mapping):
            return None, {label_key(str(k)): float(v) for k, v in floor.items()}
    return None, {}


def condition_of(event: CameraEvent, floor: float | None = None,
                 floors: Mapping[str, float] | None = None) -> str:
    """``offline`` or ``anomaly:Blur,Glare`` plus ``;above:Glare`` for scores at a floor."""
    names = sorted(event.anomalies)
    if not names:
        return event.status.value
    text = f"{event.status.value}:{','.join(names)}"
    if floor is not None or floors:
        above = [n for n in names if _at_floor(event.anomalies[n],
                                               (floors or {}).get(label_key(n), floor))]
        text += f";above:{','.join(above)}"
    if len(text) > _MAX_CONDITION:
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


def _at_floor(score: float | None, floor: float | None) -> bool:
    return floor is not None and score is not None and score >= floor


def decide(prev: Sent | None, condition: str, now: float, repeat_interval: float) -> Reason:
    """Whether a firing camera goes into the message, and why."""
    if prev is None or prev.state != "firing":
        return Reason.FIRST
    if prev.condition != condition:
        return Reason.CHANGED
    if now - prev.last_sent_at >= repeat_interval:
        return Reason.REPEAT_ELAPSED
    return Reason.REPEAT_SUPPRESSED


def decide_resolved(prev: Sent | None) -> Reason:
    """A camera back to normal is announced only to receivers that were told it was not."""
    if prev is None or prev.state == "resolved":
        return Reason.NOT_NOTIFIED
    return Reason.RESOLVED
