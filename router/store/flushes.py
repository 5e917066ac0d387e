"""A group flush in the store: read what the flush stage needs, record what it decided.

The record is one transaction fenced by the group's lease: the notifications
and their deliveries, every item's verdict (also as a decision), the
notification log, and the group's next flush.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from router.model import CameraEvent
from router.model.cameras import KnownCamera
from router.model.groups import CameraKey, GroupItem, Verdict
from router.model.incidents import IncidentFacts
from router.model.reasons import Reason
from router.model.sent import Sent
from router.store import camera_state, incidents, notification_log, silences
from router.store.db import Database
from router.store.groups import GroupClaim, finish_flush, lock_group
from router.store.notifications import NewNotification, insert_notification
from router.store.schema import camera_events, decisions
from router.store.silences import SilenceRow


@dataclass(frozen=True)
class FlushFacts:
    """What the store knows that a flush decides on, read in one transaction."""

    log: dict[CameraKey, Sent]
    last_normal: dict[CameraKey, float]
    silences: list[SilenceRow]
    known: list[KnownCamera] | None  # None unless asked for (inhibition)
    incidents: dict[CameraKey, IncidentFacts]


def facts(db: Database, *, receiver: str, cameras: Sequence[CameraKey], now: float,
          known_in: Sequence[str] | None = None,
          stale_after: float | None = None) -> FlushFacts:
    """The log, recoveries and silences for ``cameras``; with ``known_in`` (licenses),
    every camera known there too (the sources of inhibition)."""
    with db.read() as conn:
        return FlushFacts(
            log=notification_log.load(conn, receiver, cameras),
            last_normal=camera_state.last_normal(conn, cameras),
            silences=silences.active(conn, now),
            known=camera_state.known_cameras(conn, known_in) if known_in is not None
            else None,
            incidents=incidents.facts_of(conn, cameras, now=now, stale_after=stale_after))


def record(db: Database, claim: GroupClaim, *, owner: str, now: float,
           verdicts: Sequence[Verdict], notes: Mapping[str, NewNotification]) -> dict[str, int]:
    """Write the flush; ``notes`` by kind (firing/resolved). Raises LeaseLost."""
    with db.write() as conn:
        lock_group(conn, claim, owner=owner)
        ids = {kind: insert_notification(conn, note, now) for kind, note in notes.items()}
        states, rows, logged = [], [], []
        timeline: dict[CameraKey, tuple[str, int, str]] = {}
        for v in verdicts:
            sent = ids.get(v.item.kind) if v.reason.sends else None
            states.append({"b_id": v.item.id, "b_state": "notified" if sent else "suppressed",
                           "b_reason": v.reason.value, "b_notification": sent})
            rows.append(_decision(claim, v, sent, now))
            if sent is not None:
                logged.append(_log_row(claim, v.item, sent, now))
                timeline[v.item.camera] = (_line(v), sent, v.text)
        if rows:
            conn.execute(insert(decisions), rows)
        notification_log.write(conn, db.dialect, logged)
        incidents.record_sent(conn, timeline, claim.receiver, now)
        finish_flush(conn, claim, now=now, item_states=states)
    return ids


def _decision(claim: GroupClaim, v: Verdict, sent: int | None, now: float) -> dict[str, Any]:
    return {"alert_id": v.item.alert_id, "camera_event_id": v.item.camera_event_id,
            "route": claim.route, "receiver": claim.receiver, "outcome": v.reason.outcome,
            "reason": v.text, "code": v.reason.value, "notification_id": sent,
            "created_at": now}


def _line(v: Verdict) -> str:
    if v.item.kind == "resolved":
        return "resolution_sent"
    return "reminded" if v.reason is Reason.REPEAT_ELAPSED else "notified"


def _log_row(claim: GroupClaim, item: GroupItem, sent: int, now: float) -> dict[str, Any]:
    resolved = item.kind == "resolved"
    return {"receiver": claim.receiver, "license": item.event.license,
            "serial": item.event.serial, "route": claim.route, "group_id": claim.id,
            "condition": item.condition, "state": "resolved" if resolved else "firing",
            "send_resolved": claim.timing.send_resolved,
            "camera_event_id": item.camera_event_id, "data": item.event.to_dict(),
            "first_sent_at": now, "last_sent_at": now, "notification_id": sent,
            "remind_at": None if resolved else now + claim.timing.repeat_interval}


def events_by_ids(db: Database, ids: Sequence[int]) -> list[CameraEvent]:
    """The camera events of a notification, in its order (fallback rendering)."""
    with db.read() as conn:
        rows = dict(conn.execute(select(camera_events.c.id, camera_events.c.data)
                                 .where(camera_events.c.id.in_(list(ids)))).all())
    return [CameraEvent.from_dict(rows[i]) for i in ids if i in rows]
