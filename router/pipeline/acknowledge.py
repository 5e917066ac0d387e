"""Acknowledge an incident: someone is on it. No more reminders; the resolution is
still announced; receivers whose route has ``send_acknowledged`` hear who took it.

One entry point for the signed link, the API, the dashboard and the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from router.model import CameraEvent
from router.model.timing import Timing
from router.pipeline.notify import MessageContext, build
from router.pipeline.runtime import Runtime
from router.store import incidents
from router.store.notifications import NewNotification, insert_notification
from router.store.schema_groups import groups
from router.store.schema_groups import incidents as incident_table

MAX_BY, MAX_COMMENT = 200, 2000


@dataclass(frozen=True)
class Acked:
    incident_id: int
    by: str
    comment: str
    acked_at: float
    already: bool  # it was acknowledged before (the first acknowledgement stands)
    told: int  # notifications queued for send_acknowledged routes


def acknowledge(rt: Runtime, incident_id: int, *, by: str, comment: str = "") -> Acked:
    """IncidentNotFound for an unknown id; Refused when resolved already.

    The messages for ``send_acknowledged`` routes are rendered before the write
    transaction, so no rendering runs under the store's writer lock.
    """
    by = (by or "").strip()[:MAX_BY] or "someone"
    comment = (comment or "").strip()[:MAX_COMMENT]
    reason = f"acknowledged by {by}" + (f": {comment}" if comment else "")
    notes = _messages(rt, incident_id, reason)
    now = rt.clock.now()
    with rt.db.write() as conn:
        row, already = incidents.acknowledge(conn, incident_id, by=by, comment=comment, now=now)
        for note in () if already else notes:
            new_id = insert_notification(conn, note, now)
            incidents.note(conn, incident_id, "acknowledgement_sent", reason, now,
                           receiver=note.receiver, notification_id=new_id)
    return Acked(incident_id, row.acked_by, row.ack_comment or "", row.acked_at, already,
                 0 if already else len(notes))


def _messages(rt: Runtime, incident_id: int, reason: str) -> list[NewNotification]:
    """One "acknowledged" message per receiver told of the incident whose route asks."""
    with rt.db.read() as conn:
        row = conn.execute(select(incident_table).where(incident_table.c.id == incident_id)
                           ).first()
        told = [] if row is None else [
            log for log in incidents.told(conn, row.license, row.serial)
            if _asks(conn.execute(select(groups.c.options)
                                  .where(groups.c.id == log.group_id)).scalar())]
    if row is None or not told:
        return []
    rules = rt.rules.get()
    ctx = MessageContext.of(rt.settings, rules, rt.clock.now())
    event = CameraEvent.from_dict(row.data)
    notes = []
    for log in told:
        target = rules.receivers.get(log.receiver)
        notes.append(build(target, log.receiver, log.route, [event], [row.last_camera_event_id],
                           template=target.template if target is not None else None,
                           kind="acknowledged", reason=reason, ctx=ctx,
                           alert_id=event.alert_id))
    return notes


def _asks(options: dict[str, object] | None) -> bool:
    return options is not None and Timing.from_dict(options).send_acknowledged
