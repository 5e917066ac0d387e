"""Record a routed alert: events, decisions, notifications and pending deliveries,
and finish the inbox entry, all in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert

from router.model import CameraEvent, Decision
from router.store.db import Database
from router.store.inbox import InboxClaim, finish_entry
from router.store.schema import camera_events, decisions, deliveries, notifications


@dataclass(frozen=True)
class Target:
    index: int
    key: str  # hash of the raw URL; the URL itself is never stored
    display: str  # privacy form


@dataclass(frozen=True)
class NewNotification:
    route: str
    receiver: str
    title: str
    body: str
    event_indexes: list[int]
    targets: list[Target]


def record_routing(db: Database, claim: InboxClaim, *, owner: str, now: float,
                   events: Sequence[CameraEvent], decided: Sequence[Decision],
                   planned: Sequence[NewNotification]) -> None:
    """Raises LeaseLost (and writes nothing) if another worker took the entry."""
    with db.write() as conn:
        finish_entry(conn, claim, owner=owner, now=now)
        event_ids: dict[int, int] = {}
        for event in events:
            event_ids[event.index] = conn.execute(
                insert(camera_events)
                .values(alert_id=claim.alert_id, idx=event.index, serial=event.serial,
                        license=event.license, status=event.status.value,
                        enriched=event.enriched, data=event.to_dict(), created_at=now)
                .returning(camera_events.c.id)
            ).scalar_one()
        if decided:
            conn.execute(insert(decisions), [
                {"alert_id": claim.alert_id, "camera_event_id": event_ids[d.event_index],
                 "route": d.route, "receiver": d.receiver, "outcome": d.outcome,
                 "reason": d.reason, "created_at": now}
                for d in decided
            ])
        for note in planned:
            notification_id = conn.execute(
                insert(notifications)
                .values(alert_id=claim.alert_id, route=note.route, receiver=note.receiver,
                        title=note.title, body=note.body,
                        camera_event_ids=[event_ids[i] for i in note.event_indexes],
                        created_at=now)
                .returning(notifications.c.id)
            ).scalar_one()
            conn.execute(insert(deliveries), [
                {"notification_id": notification_id, "receiver": note.receiver,
                 "target_index": t.index, "target_key": t.key, "target": t.display,
                 "state": "pending", "attempts": 0, "next_attempt_at": now,
                 "created_at": now}
                for t in note.targets
            ])
