"""What waits in a group: one camera event (or resolution) for one receiver and route,
and the flush's verdict on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from router.model import CameraEvent
from router.model.reasons import Reason
from router.model.timing import Timing

CameraKey = tuple[str, str]  # (license, serial)
ItemKind = Literal["firing", "resolved"]


@dataclass(frozen=True)
class GroupItem:
    """One item of a group, from the plan through the store to the flush.

    The plan fills the group and the event; the store assigns ``camera_event_id``
    and ``alert_id`` when it records the alert, ``id`` and ``created_at`` when the
    item joins its group (0 until then: store ids count from 1).
    """

    receiver: str
    route: str
    key: str
    event: CameraEvent
    condition: str
    timing: Timing = field(default_factory=Timing)
    labels: dict[str, str] = field(default_factory=dict)
    kind: ItemKind = "firing"
    held: bool = False
    due_at: float = 0.0
    camera_event_id: int = 0
    alert_id: int = 0
    id: int = 0
    created_at: float = 0.0

    @property
    def camera(self) -> CameraKey:
        return (self.event.license, self.event.serial)


@dataclass(frozen=True)
class Verdict:
    """Whether an item goes into the flush's message, and the named reason."""

    item: GroupItem
    reason: Reason
    detail: str = ""

    @property
    def text(self) -> str:
        return self.reason.text + (f" ({self.detail})" if self.detail else "")
