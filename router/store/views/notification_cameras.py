"""Every camera one notification covers, with each camera's incident state now: the
page behind a group message's "All cameras" link."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from router.model import CameraEvent
from router.store import incidents as incident_store
from router.store.schema import camera_events, notifications

PAGE_SIZE = 100


def notification_cameras(conn: Connection, *, group_id: int, flush_no: int, kind: str,
                         page: int, now: float, size: int = PAGE_SIZE) -> dict[str, Any] | None:
    """Page ``page`` (from 1) of the notification's cameras; None if there is none."""
    note = conn.execute(select(notifications).where(
        notifications.c.group_id == group_id, notifications.c.flush_no == flush_no,
        notifications.c.kind == kind)).first()
    if note is None:
        return None
    ids = list(note.camera_event_ids)
    chosen = ids[(page - 1) * size:page * size]
    rows = dict(conn.execute(select(camera_events.c.id, camera_events.c.data)
                             .where(camera_events.c.id.in_(chosen))).all()) if chosen else {}
    events = [CameraEvent.from_dict(rows[i]) for i in chosen if i in rows]
    latest = incident_store.latest(conn, [(e.license, e.serial) for e in events])
    cameras = []
    for event in events:
        incident = latest.get((event.license, event.serial))
        cameras.append({
            "license": event.license, "serial": event.serial, "name": event.name,
            "tags": list(event.tags), "status": event.status.value,
            "anomalies": dict(event.anomalies), "alert_id": event.alert_id,
            "incident": None if incident is None else {
                "id": incident.id, "state": incident.state, "opened_at": incident.opened_at,
                "duration": (incident.resolved_at or now) - incident.opened_at,
                "acked_by": incident.acked_by}})
    pages = max(1, -(-len(ids) // size))
    return {"title": note.title, "kind": kind, "receiver": note.receiver, "route": note.route,
            "created_at": note.created_at, "total": len(ids), "page": page, "pages": pages,
            "cameras": cameras}
