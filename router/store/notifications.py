"""Write a notification with one pending delivery per target (group flushes,
fallbacks and rate-limit digests all write them the same way)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert

from router.store.schema import deliveries, notifications


@dataclass(frozen=True)
class Target:
    index: int
    key: str  # hash of the raw URL; the URL itself is never stored
    display: str  # privacy form
    message: dict[str, Any] | None = None  # Rendered.to_dict() for this target
    rate_limit: tuple[int, float] | None = None  # (count, period seconds)


@dataclass(frozen=True)
class NewNotification:
    route: str
    receiver: str
    title: str
    body: str
    camera_event_ids: list[int]
    targets: list[Target]
    alert_id: int | None = None
    group_id: int | None = None
    flush_no: int | None = None
    kind: str = "firing"
    reason: str | None = None
    fallback_of: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def insert_notification(conn: Connection, note: NewNotification, now: float) -> int:
    """A notification and one pending delivery per target; returns the notification id."""
    notification_id = int(conn.execute(
        insert(notifications)
        .values(alert_id=note.alert_id, route=note.route, receiver=note.receiver,
                title=note.title, body=note.body, camera_event_ids=note.camera_event_ids,
                created_at=now, group_id=note.group_id, flush_no=note.flush_no,
                kind=note.kind, reason=note.reason, fallback_of=note.fallback_of)
        .returning(notifications.c.id)).scalar_one())
    if note.targets:
        conn.execute(insert(deliveries), [
            {"notification_id": notification_id, "receiver": note.receiver,
             "target_index": t.index, "target_key": t.key, "target": t.display,
             "state": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
             "message": t.message,
             "rate_limit": t.rate_limit[0] if t.rate_limit else None,
             "rate_period": t.rate_limit[1] if t.rate_limit else None}
            for t in note.targets
        ])
    return notification_id
