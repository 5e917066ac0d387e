"""Flush stage: decide, for every item of a due group, whether it goes into the message.

Checks, in order, each with a named reason: a newer item for the same camera in
the same flush (duplicate), hold-down, silences, inhibition, then the
notification log (first / changed / repeat elapsed / suppressed by repeat).
Pure: the store loads the inputs and records the verdicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from router.model import CameraEvent
from router.pipeline.group import Timing
from router.pipeline.inhibit import Inhibition
from router.pipeline.notify_log import Sent, decide, decide_resolved
from router.pipeline.reasons import Reason
from router.pipeline.silence import Silence, silenced_by
from router.pipeline.suppress import held_down

CameraKey = tuple[str, str]  # (license, serial)


@dataclass(frozen=True)
class Item:
    """One camera event (or resolution) waiting in a group."""

    id: int
    kind: str  # firing | resolved
    event: CameraEvent
    condition: str
    held: bool
    created_at: float
    camera_event_id: int
    alert_id: int

    @property
    def camera(self) -> CameraKey:
        return (self.event.license, self.event.serial)


@dataclass(frozen=True)
class Verdict:
    item: Item
    reason: Reason
    detail: str = ""

    @property
    def text(self) -> str:
        return self.reason.text + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class FlushInput:
    now: float
    route: str
    timing: Timing
    log: Mapping[CameraKey, Sent]
    last_normal: Mapping[CameraKey, float]
    silences: Sequence[Silence] = ()
    inhibition: Inhibition | None = None
    sites: Mapping[str, str] | None = None


def plan_flush(items: Sequence[Item], given: FlushInput) -> list[Verdict]:
    """One verdict per item, in item order."""
    latest = {(i.camera, i.kind): i.id for i in items}
    return [_verdict(item, given, latest) for item in items]


def _verdict(item: Item, given: FlushInput, latest: Mapping[tuple[CameraKey, str], int]
             ) -> Verdict:
    if latest[(item.camera, item.kind)] != item.id:
        return Verdict(item, Reason.DUPLICATE, "a newer event for this camera is in the flush")
    prev = given.log.get(item.camera)
    if item.kind == "resolved":
        return Verdict(item, decide_resolved(prev))
    if held_down(held=item.held, joined_at=item.created_at,
                 last_normal_at=given.last_normal.get(item.camera)):
        return Verdict(item, Reason.HELD_DOWN,
                       f"back to normal within hold_for {given.timing.hold_for:g}s")
    silence = silenced_by(item.event, given.silences, given.now, given.sites)
    if silence is not None:
        return Verdict(item, Reason.SILENCED, silence.describe())
    if given.inhibition is not None:
        rule = given.inhibition.inhibited_by(item.event, given.route)
        if rule is not None:
            return Verdict(item, Reason.INHIBITED, f"inhibit rule {rule.name}")
    reason = decide(prev, item.condition, given.now, given.timing.repeat_interval)
    return Verdict(item, reason, _log_detail(reason, prev, given))


def _log_detail(reason: Reason, prev: Sent | None, given: FlushInput) -> str:
    if prev is None or reason is Reason.FIRST:
        return ""
    ago = given.now - prev.last_sent_at
    if reason is Reason.CHANGED:
        return f"was {prev.condition}"
    return f"last sent {ago:g}s ago, repeat_interval {given.timing.repeat_interval:g}s"
