"""A camera is back to normal: queue a resolved message for every receiver that was
told it was not (routes with ``send_resolved``), and close the others' log entries,
so the next problem of this camera is a first notification again."""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from router.model import CameraEvent, Status
from router.model.groups import GroupItem
from router.store import notification_log
from router.store.groups import add_to_group
from router.store.schema import camera_events
from router.store.schema_groups import notification_log as log_table


def resolve(conn: Connection, license: str, serial: str, now: float, *,
            event: CameraEvent | None = None, camera_event_id: int | None = None,
            alert_id: int | None = None) -> int:
    """Queue resolved items; returns how many receivers will be told."""
    told = 0
    for row in notification_log.firing(conn, license, serial):
        data = dict(row.data)
        shown = event or CameraEvent.from_dict({**data, "status": Status.NORMAL.value,
                                                "anomalies": {}})
        event_id = camera_event_id if camera_event_id is not None else row.camera_event_id
        alert = alert_id if alert_id is not None else conn.execute(
            select(camera_events.c.alert_id).where(camera_events.c.id == event_id)
        ).scalar_one()
        add_to_group(conn, row.group_id, GroupItem(
            receiver=row.receiver, route=row.route, key="", event=shown,
            condition=Status.NORMAL.value, kind="resolved", due_at=now,
            camera_event_id=event_id, alert_id=alert), now)
        notification_log.mark_resolving(conn, row.id)
        told += 1
    # Receivers whose route does not announce resolutions: their entry ends here.
    conn.execute(update(log_table)
                 .where(log_table.c.license == license, log_table.c.serial == serial,
                        log_table.c.state == "firing")
                 .values(state="resolved", remind_at=None))
    return told
