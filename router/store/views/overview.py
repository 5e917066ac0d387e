"""The dashboard's first page: last day's alerts, incidents, cameras in trouble, queues,
failing targets."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, or_, select

from router.store import schema_groups
from router.store.schema import alerts, deliveries
from router.store.stats import inbox_backlog
from router.store.views.alerts import ALERT_PARTS
from router.store.views.incidents import incident_stats

DAY = 86400.0


def overview(conn: Connection, now: float) -> dict[str, Any]:
    """The numbers on the dashboard's first page."""
    return {
        "alerts_24h": _alerts_24h(conn, now),
        # open and acknowledged counts, mean time to resolve over 24 h and 7 days
        "incidents": incident_stats(conn, now=now),
        "cameras_in_trouble": cameras_in_trouble(conn),
        "inbox": _inbox(conn, now),
        "failing_targets": failing_targets(conn, now),
        "dead_letters": conn.execute(select(func.count()).select_from(deliveries)
                                     .where(deliveries.c.state == "dead")).scalar_one(),
    }


def _alerts_24h(conn: Connection, now: float) -> dict[str, Any]:
    rows = [row for part in ALERT_PARTS
            for row in conn.execute(select(alerts.c.status, alerts.c.label, func.count())
                                    .where(part, alerts.c.received_at >= now - DAY)
                                    .group_by(alerts.c.status, alerts.c.label))]
    by_status: dict[str, int] = {}
    by_anomaly: dict[str, int] = {}
    for status, label, count in rows:
        by_status[status] = by_status.get(status, 0) + count
        if status == "anomaly":
            name = label or "Anomaly"
            by_anomaly[name] = by_anomaly.get(name, 0) + count
    return {"total": sum(by_status.values()), "by_status": by_status, "by_anomaly": by_anomaly}


def cameras_in_trouble(conn: Connection, limit: int = 50) -> dict[str, Any]:
    """Cameras not ``normal`` now, as the camera state knows them, latest change first."""
    state = schema_groups.camera_state
    query = select(state).where(state.c.status != "normal")
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    cameras = []
    for r in conn.execute(query.order_by(state.c.updated_at.desc()).limit(limit)):
        latest = (r.active or {}).get(r.status) or {}
        cameras.append({"serial": r.serial, "name": latest.get("name") or r.serial,
                        "license": r.license, "status": r.status,
                        "anomalies": latest.get("anomalies") or {}, "tags": r.tags or [],
                        "alert_id": latest.get("alert_id"), "since": r.updated_at})
    return {"total": total, "cameras": cameras}


def _inbox(conn: Connection, now: float) -> dict[str, Any]:
    depth, oldest = inbox_backlog(conn)
    return {"depth": depth, "oldest_age": None if oldest is None else max(0.0, now - oldest)}


def failing_targets(conn: Connection, now: float, limit: int = 50) -> list[dict[str, Any]]:
    """Targets with deliveries being retried, or dead in the last 24 h."""
    failing = or_(and_(deliveries.c.state == "pending", deliveries.c.attempts > 0),
                  and_(deliveries.c.state == "dead", deliveries.c.finished_at >= now - DAY))
    rows = conn.execute(
        select(deliveries.c.receiver, deliveries.c.target,
               func.sum(_flag(deliveries.c.state == "pending")).label("retrying"),
               func.sum(_flag(deliveries.c.state == "dead")).label("dead"),
               func.max(deliveries.c.id).label("last_id"))
        .where(failing).group_by(deliveries.c.receiver, deliveries.c.target)
        .order_by(func.max(deliveries.c.id).desc()).limit(limit)).all()
    errors = dict(conn.execute(select(deliveries.c.id, deliveries.c.last_error)
                               .where(deliveries.c.id.in_([r.last_id for r in rows]))).all())
    return [{"receiver": r.receiver, "target": r.target, "retrying": int(r.retrying or 0),
             "dead": int(r.dead or 0), "last_error": errors.get(r.last_id)} for r in rows]


def _flag(cond: ColumnElement[bool]) -> ColumnElement[int]:
    return case((cond, 1), else_=0)
