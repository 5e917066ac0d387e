"""Reminders: a receiver told of a camera that is still not normal hears of it again
every ``repeat_interval``, with no new webhook, until the incident is acknowledged,
resolved or the camera leaves the rules.

A due reminder puts the incident's latest camera event back into the group it was
sent from (the item row is re-armed: one row per group, event and kind); the
flush then judges it like any item (silences, inhibition, the notification log's
repeat interval), so a muted camera is not sent, and the next check is one
repeat interval later whatever the flush decides. Re-arming only a row that is not
pending already, inside one write transaction, makes the queueing safe from any
number of workers and replicas.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from router.model import CameraEvent
from router.model.groups import GroupItem
from router.model.incidents import open_key
from router.model.timing import Timing
from router.store.db import Database
from router.store.groups import add_to_group
from router.store.schema import camera_events
from router.store.schema_groups import groups, incidents, notification_log

BATCH = 200


def queue_due(db: Database, *, now: float, limit: int = BATCH) -> int:
    """Queue the reminders that are due; the number queued."""
    queued = 0
    with db.write() as conn:
        rows = conn.execute(
            select(notification_log.c.id, notification_log.c.receiver,
                   notification_log.c.route, notification_log.c.group_id,
                   notification_log.c.license, notification_log.c.serial,
                   notification_log.c.condition, groups.c.options)
            .join(groups, groups.c.id == notification_log.c.group_id)
            .where(notification_log.c.state == "firing",
                   notification_log.c.remind_at <= now)
            .order_by(notification_log.c.remind_at, notification_log.c.id)
            .limit(limit).with_for_update()).all()
        for row in rows:
            timing = Timing.from_dict(row.options)
            incident = conn.execute(select(incidents).where(
                incidents.c.open_key == open_key(row.license, row.serial))).first()
            wanted = incident is not None and incident.state == "open"
            conn.execute(update(notification_log).where(notification_log.c.id == row.id)
                         .values(remind_at=now + timing.repeat_interval if wanted else None))
            if not wanted:
                continue
            assert incident is not None
            add_to_group(conn, row.group_id, GroupItem(
                receiver=row.receiver, route=row.route, key="",
                event=CameraEvent.from_dict(incident.data), condition=row.condition,
                kind="firing", due_at=now, camera_event_id=incident.last_camera_event_id,
                alert_id=_alert_of(conn, incident.last_camera_event_id)),
                now, rearm=True)
            queued += 1
    return queued


def _alert_of(conn: Connection, camera_event_id: int) -> int:
    return int(conn.execute(select(camera_events.c.alert_id)
                            .where(camera_events.c.id == camera_event_id)).scalar_one())
