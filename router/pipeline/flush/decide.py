"""Flush stage: decide, for every item of a due group, whether it goes into the message.

The mute checks run in order, like Alertmanager's mute stages; the first that
mutes an item names the reason. Whatever no check mutes is judged by the
notification log (first / changed / repeat elapsed / suppressed by repeat); a
repeat of an acknowledged incident is not sent.
Pure: ``load`` gathers the inputs and the store records the verdicts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from router.model.groups import CameraKey, GroupItem, ItemKind, Verdict
from router.model.incidents import IncidentFacts
from router.model.reasons import Reason
from router.model.sent import Sent
from router.model.timing import Timing
from router.pipeline.flush.inhibit import Inhibition
from router.pipeline.flush.notify_log import decide, decide_resolved
from router.pipeline.flush.silence import Silence, silenced_by


@dataclass(frozen=True)
class FlushInput:
    """Everything a flush decides on, loaded once for the whole group."""

    now: float
    route: str
    timing: Timing
    log: Mapping[CameraKey, Sent]
    last_normal: Mapping[CameraKey, float]
    silences: Sequence[Silence] = ()
    inhibition: Inhibition | None = None
    sites: Mapping[str, str] | None = None
    # (camera, kind) -> id of the newest item of that camera in this flush
    latest: Mapping[tuple[CameraKey, ItemKind], int] | None = None
    incidents: Mapping[CameraKey, IncidentFacts] = field(default_factory=dict)


Check = Callable[[GroupItem, FlushInput], Verdict | None]


def duplicate(item: GroupItem, given: FlushInput) -> Verdict | None:
    latest = given.latest or {}
    if latest.get((item.camera, item.kind), item.id) != item.id:
        return Verdict(item, Reason.DUPLICATE, "a newer event for this camera is in the flush")
    return None


def held_down(item: GroupItem, given: FlushInput) -> Verdict | None:
    """A held event is dropped when its camera was seen normal after it arrived."""
    recovered = given.last_normal.get(item.camera)
    if item.held and recovered is not None and recovered >= item.created_at:
        return Verdict(item, Reason.HELD_DOWN,
                       f"resolved during hold-down: back to normal within hold_for "
                       f"{given.timing.hold_for:g}s")
    return None


def silenced(item: GroupItem, given: FlushInput) -> Verdict | None:
    silence = silenced_by(item.event, given.silences, given.now, given.sites)
    return None if silence is None else Verdict(item, Reason.SILENCED, silence.describe())


def inhibited(item: GroupItem, given: FlushInput) -> Verdict | None:
    if given.inhibition is None:
        return None
    rule = given.inhibition.inhibited_by(item.event, given.route)
    return None if rule is None else Verdict(item, Reason.INHIBITED, f"inhibit rule {rule.name}")


# The order is part of the contract: the first check that mutes names the reason.
MUTE_CHECKS: tuple[Check, ...] = (duplicate, held_down, silenced, inhibited)
# A resolution is only ever a duplicate; whether it is sent is the log's to say.
RESOLVED_CHECKS: tuple[Check, ...] = (duplicate,)


def plan_flush(items: Sequence[GroupItem], given: FlushInput) -> list[Verdict]:
    """One verdict per item, in item order."""
    latest = {(i.camera, i.kind): i.id for i in items}
    given = replace(given, latest=latest)
    return [verdict(item, given) for item in items]


def verdict(item: GroupItem, given: FlushInput) -> Verdict:
    checks = RESOLVED_CHECKS if item.kind == "resolved" else MUTE_CHECKS
    for check in checks:
        muted = check(item, given)
        if muted is not None:
            return muted
    prev = given.log.get(item.camera)
    if item.kind == "resolved":
        return Verdict(item, decide_resolved(prev))
    reason = decide(prev, item.condition, given.now, given.timing.repeat_interval)
    incident = given.incidents.get(item.camera)
    if reason is Reason.REPEAT_ELAPSED and incident is not None and incident.acked_by:
        # Someone is on it: no reminder; a changed condition still goes out.
        return Verdict(item, Reason.ACKNOWLEDGED, f"acknowledged by {incident.acked_by}")
    return Verdict(item, reason, _log_detail(reason, prev, given))


def _log_detail(reason: Reason, prev: Sent | None, given: FlushInput) -> str:
    if prev is None or reason is Reason.FIRST:
        return ""
    ago = given.now - prev.last_sent_at
    if reason is Reason.CHANGED:
        return f"was {prev.condition}"
    return f"last sent {ago:g}s ago, repeat_interval {given.timing.repeat_interval:g}s"
