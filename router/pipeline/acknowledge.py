"""Acknowledge an incident: someone is on it. No more reminders; the resolution is
still announced; receivers whose route has ``send_acknowledged`` hear who took it.

One entry point for the signed link, the API, the dashboard and the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass

from router.model import CameraEvent
from router.model.timing import Timing
from router.pipeline.notify import MessageContext, build
from router.pipeline.runtime import Runtime
from router.store import incidents
from router.store.notifications import NewNotification, insert_notification
from router.store.schema_groups import groups

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
    """IncidentNotFound for an unknown id; Refused when resolved already."""
    by = (by or "").strip()[:MAX_BY] or "someone"
    comment = (comment or "").strip()[:MAX_COMMENT]
    now = rt.clock.now()
    rules = rt.rules.get()
    ctx = MessageContext.of(rt.settings, rules, now)
    told = 0
    with rt.db.write() as conn:
        before = conn.execute(incidents.by_id(incident_id)).first()
        row = incidents.acknowledge(conn, incident_id, by=by, comment=comment, now=now)
        already = before is not None and before.state == "acknowledged"
        if not already:
            event = CameraEvent.from_dict(row.data)
            reason = f"acknowledged by {row.acked_by}" + (
                f": {row.ack_comment}" if row.ack_comment else "")
            for log in incidents.told(conn, row.license, row.serial):
                options = conn.execute(groups.select().where(groups.c.id == log.group_id)
                                       ).first()
                if options is None or not Timing.from_dict(options.options).send_acknowledged:
                    continue
                note = _note(rt, log.receiver, log.route, event, row.last_camera_event_id,
                             reason, ctx)
                new_id = insert_notification(conn, note, now)
                incidents.note(conn, incident_id, "acknowledgement_sent", reason, now,
                               receiver=log.receiver, notification_id=new_id)
                told += 1
    return Acked(incident_id, row.acked_by, row.ack_comment or "", row.acked_at, already, told)


def _note(rt: Runtime, receiver: str, route: str, event: CameraEvent, event_id: int,
          reason: str, ctx: MessageContext) -> NewNotification:
    rules = rt.rules.get()
    target = rules.receivers.get(receiver)
    return build(target, receiver, route, [event], [event_id],
                 template=target.template if target is not None else None,
                 kind="acknowledged", reason=reason, ctx=ctx, alert_id=event.alert_id)
