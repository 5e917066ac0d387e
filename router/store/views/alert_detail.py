"""One alert in full: as received, per camera, decisions, notifications, deliveries, attempts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, select

from router.store.schema import alerts, attempts, camera_events, decisions, deliveries
from router.store.schema import notifications as notes
from router.store.views.alerts import note_links
from router.store.views.paging import public

_INBOX_COLUMNS = frozenset({"inbox_state", "available_at", "claims", "done_at", "last_error"})


def alert_detail(conn: Connection, alert_id: int) -> dict[str, Any] | None:
    """Everything about one alert: as received, per camera, decisions, deliveries, attempts."""
    row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).first()
    if row is None:
        return None
    detail = {k: v for k, v in public(row).items() if k not in _INBOX_COLUMNS}
    detail["raw_body"] = bytes(row.raw_body).decode("utf-8", errors="replace")
    # The alert row is its own inbox entry; shown apart, as what the worker did with it.
    detail["inbox"] = {"state": row.inbox_state, "claims": row.claims,
                       "created_at": row.received_at, "available_at": row.available_at,
                       "done_at": row.done_at, "last_error": row.last_error}
    detail["camera_events"] = _events(conn, alert_id)
    detail["notifications"] = _notifications(conn, alert_id)
    return detail


def _events(conn: Connection, alert_id: int) -> list[dict[str, Any]]:
    by_event: dict[int, list[dict[str, Any]]] = {}
    for d in conn.execute(select(decisions).where(decisions.c.alert_id == alert_id)
                          .order_by(decisions.c.id)):
        by_event.setdefault(d.camera_event_id, []).append(public(d))
    found = []
    for ev in conn.execute(select(camera_events).where(camera_events.c.alert_id == alert_id)
                           .order_by(camera_events.c.idx)):
        data = dict(ev.data)
        data.update(id=ev.id, created_at=ev.created_at, decisions=by_event.get(ev.id, []))
        found.append(data)
    return found


def _notifications(conn: Connection, alert_id: int) -> list[dict[str, Any]]:
    links = note_links([alert_id])
    found = [public(n) for n in conn.execute(
        select(notes).where(notes.c.id.in_(select(links.c.nid))).order_by(notes.c.id))]
    ids = [n["id"] for n in found]
    by_note = _deliveries_with_attempts(conn, deliveries.c.notification_id.in_(ids))
    for n in found:
        n["deliveries"] = [d for d in by_note if d["notification_id"] == n["id"]]
    return found


def _deliveries_with_attempts(conn: Connection,
                              where: ColumnElement[bool]) -> list[dict[str, Any]]:
    rows = [public(d) for d in conn.execute(select(deliveries).where(where)
                                              .order_by(deliveries.c.id))]
    log = attempt_log(conn, [d["id"] for d in rows])
    for d in rows:
        d["attempt_count"] = d.pop("attempts")
        d["attempts"] = log.get(d["id"], [])
    return rows


def attempt_log(conn: Connection, delivery_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Every attempt of the given deliveries, in order."""
    found: dict[int, list[dict[str, Any]]] = {}
    if delivery_ids:
        for a in conn.execute(select(attempts).where(attempts.c.delivery_id.in_(delivery_ids))
                              .order_by(attempts.c.delivery_id, attempts.c.number)):
            found.setdefault(a.delivery_id, []).append(public(a))
    return found


def camera_images(conn: Connection, alert_id: int, idx: int) -> dict[str, str | None] | None:
    """The snapshot and reference URLs of one camera of an alert (routed or still waiting)."""
    row = conn.execute(select(camera_events.c.data).where(
        camera_events.c.alert_id == alert_id, camera_events.c.idx == idx)).first()
    if row is not None:
        return {"snapshot": row.data.get("snapshot_url"),
                "reference": row.data.get("reference_url")}
    payload = conn.execute(select(alerts.c.payload).where(alerts.c.id == alert_id)).scalar()
    cams = (payload or {}).get("cameras") or []
    if not 0 <= idx < len(cams):
        return None
    return {"snapshot": cams[idx].get("latest_image"),
            "reference": cams[idx].get("reference_image")}

