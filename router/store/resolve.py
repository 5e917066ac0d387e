"""A camera is back to normal: queue a resolved message for every receiver that was
told it was not (routes with ``send_resolved``), and remember when it recovered.

``camera_status_changed`` is the entry point for the cameras-endpoint refresher.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from router.model import CameraEvent, Status
from router.model.groups import GroupItem
from router.store import camera_state, notification_log
from router.store.db import Database
from router.store.groups import add_to_group
from router.store.schema import camera_events


def resolve(conn: Connection, license: str, serial: str, now: float, *,
            event: CameraEvent | None = None, camera_event_id: int | None = None,
            alert_id: int | None = None) -> int:
    """Queue resolved items; returns how many receivers will be told."""
    told = 0
    for row in notification_log.firing(conn, license, serial):
        data = dict(row.data)
        shown = event or CameraEvent.from_dict({**data, "status": Status.NORMAL.value})
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
    return told


def camera_status_changed(db: Database, license: str, serial: str, status: str,
                          now: float) -> int:
    """Tell the lifecycle what the cameras endpoint says a camera is now.

    Only ``normal`` changes anything: the camera's active conditions end, a held
    event for it is dropped at its flush, and receivers told it was not normal
    get a resolved message. Returns the number of resolved messages queued.
    Safe to call repeatedly and from any process.
    """
    if Status(status) is not Status.NORMAL:
        return 0
    with db.write() as conn:
        camera_state.mark_normal(conn, db.dialect, license, serial, now)
        return resolve(conn, license, serial, now)
