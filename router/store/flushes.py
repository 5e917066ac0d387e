"""A group flush in the store: load what the flush stage needs, record what it decided.

The record is one transaction fenced by the group's lease: the notifications
and their deliveries, every item's verdict (also as a decision), the
notification log, and the group's next flush.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert, select

from router.model import CameraEvent
from router.pipeline.flush import FlushInput, Item, Verdict
from router.pipeline.inhibit import Inhibition
from router.rules.inhibit import InhibitRule
from router.store import camera_state, notification_log, silences
from router.store.db import Database
from router.store.groups import GroupClaim, due_items, finish_flush, lock_group
from router.store.routing import NewNotification, insert_notification
from router.store.schema import camera_events, decisions


def load(db: Database, claim: GroupClaim, *, now: float, inhibit_rules: Sequence[InhibitRule],
         sites: Mapping[str, str]) -> tuple[list[Item], FlushInput]:
    items = due_items(db, claim.id, now)
    cameras = [i.camera for i in items]
    with db.read() as conn:
        log = notification_log.load(conn, claim.receiver, cameras)
        normal = camera_state.last_normal(conn, cameras)
        muted = silences.active(conn, now)
        inhibition = None
        if inhibit_rules and items:
            known = camera_state.known_cameras(conn, {c[0] for c in cameras})
            inhibition = Inhibition(inhibit_rules, known, sites)
    return items, FlushInput(now=now, route=claim.route, timing=claim.timing, log=log,
                             last_normal=normal, silences=muted, inhibition=inhibition,
                             sites=sites)


def record(db: Database, claim: GroupClaim, *, owner: str, now: float,
           verdicts: Sequence[Verdict], notes: Mapping[str, NewNotification]) -> dict[str, int]:
    """Write the flush; ``notes`` by kind (firing/resolved). Raises LeaseLost."""
    with db.write() as conn:
        lock_group(conn, claim, owner=owner)
        ids = {kind: insert_notification(conn, note, now) for kind, note in notes.items()}
        states, rows, logged = [], [], []
        for v in verdicts:
            sent = ids.get(v.item.kind) if v.reason.sends else None
            states.append({"b_id": v.item.id, "b_state": "notified" if sent else "suppressed",
                           "b_reason": v.reason.value, "b_notification": sent})
            rows.append(_decision(claim, v, sent, now))
            if sent is not None:
                logged.append(_log_row(claim, v.item, sent, now))
        if rows:
            conn.execute(insert(decisions), rows)
        notification_log.write(conn, db.dialect, logged)
        finish_flush(conn, claim, now=now, item_states=states)
    return ids


def _decision(claim: GroupClaim, v: Verdict, sent: int | None, now: float) -> dict[str, Any]:
    return {"alert_id": v.item.alert_id, "camera_event_id": v.item.camera_event_id,
            "route": claim.route, "receiver": claim.receiver, "outcome": v.reason.outcome,
            "reason": v.text, "code": v.reason.value, "notification_id": sent,
            "created_at": now}


def _log_row(claim: GroupClaim, item: Item, sent: int, now: float) -> dict[str, Any]:
    resolved = item.kind == "resolved"
    return {"receiver": claim.receiver, "license": item.event.license,
            "serial": item.event.serial, "route": claim.route, "group_id": claim.id,
            "condition": item.condition, "state": "resolved" if resolved else "firing",
            "send_resolved": claim.timing.send_resolved,
            "camera_event_id": item.camera_event_id, "data": item.event.to_dict(),
            "first_sent_at": now, "last_sent_at": now, "notification_id": sent}


def events_by_ids(db: Database, ids: Sequence[int]) -> list[CameraEvent]:
    """The camera events of a notification, in its order (fallback rendering)."""
    with db.read() as conn:
        rows = dict(conn.execute(select(camera_events.c.id, camera_events.c.data)
                                 .where(camera_events.c.id.in_(list(ids)))).all())
    return [CameraEvent.from_dict(rows[i]) for i in ids if i in rows]
