"""Record a routed alert in one transaction: its camera events, the routing decisions,
the cameras' new state, the items joining groups and the resolutions of cameras back
to normal; then finish the inbox entry. Also: writing a notification with its
deliveries (used by group flushes, fallbacks and digests)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert

from router.model import CameraEvent, Decision, Status
from router.pipeline.plan import PlannedItem
from router.pipeline.reasons import Reason
from router.store import camera_state
from router.store.db import Database
from router.store.groups import NewItem, add_items
from router.store.inbox import InboxClaim, finish_entry
from router.store.resolve import resolve
from router.store.schema import camera_events, decisions, deliveries, notifications


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


def record_routing(db: Database, claim: InboxClaim, *, owner: str, now: float,
                   events: Sequence[CameraEvent], decided: Sequence[Decision],
                   items: Sequence[PlannedItem]) -> None:
    """Raises LeaseLost (and writes nothing) if another worker took the entry."""
    with db.write() as conn:
        finish_entry(conn, claim, owner=owner, now=now)
        event_ids = _insert_events(conn, claim.alert_id, events, now)
        rows = [_decision(claim.alert_id, event_ids[d.event_index], d, now) for d in decided]
        camera_state.observe(conn, db.dialect, events, now)
        by_index = {e.index: e for e in events}
        add_items(conn, db.dialect, [
            NewItem(receiver=p.receiver, route=p.route, key=p.key, labels=p.labels,
                    timing=p.timing, camera_event_id=event_ids[p.event_index],
                    alert_id=claim.alert_id, event=by_index[p.event_index],
                    condition=p.condition, held=p.held, due_at=p.due_at)
            for p in items], now)
        for event in events:
            if event.status is Status.NORMAL:
                told = resolve(conn, event.license, event.serial, now,
                               event=event, camera_event_id=event_ids[event.index],
                               alert_id=claim.alert_id)
                rows.append({"alert_id": claim.alert_id,
                             "camera_event_id": event_ids[event.index], "route": None,
                             "receiver": None, "outcome": Reason.BACK_TO_NORMAL.outcome,
                             "reason": f"camera back to normal; resolved message queued "
                                       f"for {told} receiver(s)",
                             "code": Reason.BACK_TO_NORMAL.value, "created_at": now})
        if rows:
            conn.execute(insert(decisions), rows)


def _insert_events(conn: Connection, alert_id: int, events: Sequence[CameraEvent],
                   now: float) -> dict[int, int]:
    return {
        event.index: conn.execute(
            insert(camera_events)
            .values(alert_id=alert_id, idx=event.index, serial=event.serial,
                    license=event.license, status=event.status.value,
                    enriched=event.enriched, data=event.to_dict(), created_at=now)
            .returning(camera_events.c.id)).scalar_one()
        for event in events
    }


def _decision(alert_id: int, event_id: int, d: Decision, now: float) -> dict[str, Any]:
    return {"alert_id": alert_id, "camera_event_id": event_id, "route": d.route,
            "receiver": d.receiver, "outcome": d.outcome, "reason": d.reason,
            "code": None, "created_at": now}


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
