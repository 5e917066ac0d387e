"""Incidents: one problem of one camera, from its first routed event to its resolution.

The condition of an incident is what the rules route on: the status (``offline``,
``config_issue``...) or, for an anomaly, the set of anomaly types
(``anomaly:Blur,Glare``). Scores may move without changing the condition; a new
set of types or a new status is a new incident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from router.model import CameraEvent

IncidentState = Literal["open", "acknowledged", "resolved"]
STATES: tuple[IncidentState, ...] = ("open", "acknowledged", "resolved")
# How an incident ended: the tracker saw a normal log, a webhook or polled alert said
# normal, or the camera moved on to another condition.
Resolution = Literal["tracker", "webhook", "superseded"]


def incident_condition(event: CameraEvent) -> str:
    names = sorted(event.anomalies)
    return f"{event.status.value}:{','.join(names)}" if names else event.status.value


def open_key(license: str, serial: str) -> str:
    """The unique key of a camera's open incident (one at a time per camera)."""
    return f"{license}\x1f{serial}"


def duration_text(seconds: float) -> str:
    """``2 d 4 h``, ``3 h 12 min``, ``5 min``, ``40 s``: the two largest units."""
    s = max(int(seconds), 0)
    units = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))
    parts: list[str] = []
    for name, size in units:
        if s >= size or (name == "s" and not parts):
            parts.append(f"{s // size} {name}")
            s %= size
        if len(parts) == 2 or (parts and name == "min"):
            break
    return " ".join(parts)


@dataclass(frozen=True)
class IncidentFacts:
    """What a message says of a camera's incident: state, since when, what the API showed."""

    id: int
    state: IncidentState
    condition: str
    opened_at: float
    acked_by: str | None = None
    # The tracker's last read of this camera (None: tracker off or never read).
    checked_at: float | None = None
    api_status: str | None = None
    api_anomalies: dict[str, float] = field(default_factory=dict)
    stale: bool = True

    def for_template(self, now: float, zone: ZoneInfo) -> dict[str, Any]:
        since = datetime.fromtimestamp(self.opened_at, UTC).astimezone(zone)
        shown = ", ".join(f"{k} {v:.2f}" for k, v in sorted(self.api_anomalies.items()))
        checked = ("not checked with the API" if self.checked_at is None
                   else "last checked just now" if now - self.checked_at < 60
                   else f"last checked {duration_text(now - self.checked_at)} ago")
        if self.stale and self.checked_at is not None:
            checked += " (stale)"
        return {
            "id": self.id, "state": self.state, "condition": self.condition,
            "opened_at": self.opened_at, "since": since.strftime("%a %H:%M"),
            "duration": duration_text(now - self.opened_at), "acked_by": self.acked_by,
            "checked_at": self.checked_at, "checked": checked, "stale": self.stale,
            "api_status": self.api_status, "api_anomalies": dict(self.api_anomalies),
            "api_shown": shown or (self.api_status or ""),
            # Worth a line in the message: open for a minute or more (reminders).
            "lasting": now - self.opened_at >= 60,
        }
