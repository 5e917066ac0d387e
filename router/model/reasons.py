"""Why the lifecycle sent, held back or dropped a camera event: named, stored, shown.

Each value is the ``code`` stored on a decision; ``text`` is the readable form.
``outcome`` groups them the way the API and ``explain`` filter decisions.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    FIRST = "first_notification"
    CHANGED = "condition_changed"
    REPEAT_ELAPSED = "repeat_interval_elapsed"
    REPEAT_SUPPRESSED = "suppressed_by_repeat_interval"
    DUPLICATE = "duplicate_in_group"
    SILENCED = "silenced"
    INHIBITED = "inhibited"
    HELD_DOWN = "suppressed_by_hold_down"
    ACKNOWLEDGED = "suppressed_by_acknowledgement"
    RESOLVED = "resolved"
    NOT_NOTIFIED = "resolved_never_notified"
    BACK_TO_NORMAL = "back_to_normal"

    @property
    def text(self) -> str:
        return self.value.replace("_", " ")

    @property
    def sends(self) -> bool:
        """True when the camera goes into the message."""
        return self in _SENDS

    @property
    def outcome(self) -> str:
        return _OUTCOMES.get(self, "suppressed")


_SENDS = frozenset({Reason.FIRST, Reason.CHANGED, Reason.REPEAT_ELAPSED, Reason.RESOLVED})
_OUTCOMES = {
    Reason.FIRST: "notified", Reason.CHANGED: "notified", Reason.REPEAT_ELAPSED: "notified",
    Reason.RESOLVED: "resolved", Reason.SILENCED: "silenced", Reason.INHIBITED: "inhibited",
    Reason.BACK_TO_NORMAL: "normal",
}
