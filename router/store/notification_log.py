"""The notification log: per (receiver, camera) what was last sent, and when."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, select, tuple_, update

from router.model.groups import CameraKey
from router.model.sent import Sent
from router.store.dialect import upsert
from router.store.schema_groups import notification_log

_CHUNK = 400


def load(conn: Connection, receiver: str, cameras: Iterable[CameraKey]) -> dict[CameraKey, Sent]:
    wanted = sorted(set(cameras))
    found: dict[CameraKey, Sent] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = conn.execute(
            select(notification_log.c.license, notification_log.c.serial,
                   notification_log.c.condition, notification_log.c.state,
                   notification_log.c.last_sent_at)
            .where(notification_log.c.receiver == receiver,
                   tuple_(notification_log.c.license, notification_log.c.serial)
                   .in_(wanted[start:start + _CHUNK]))).all()
        for r in rows:
            found[(r.license, r.serial)] = Sent(r.condition, r.state, r.last_sent_at)
    return found


def write(conn: Connection, dialect: str, rows: Sequence[dict[str, Any]]) -> None:
    """Upsert what a flush sent; ``first_sent_at`` survives repeats of a firing camera."""
    if not rows:
        return
    stmt = upsert(dialect, notification_log)
    stmt = stmt.on_conflict_do_update(
        index_elements=["receiver", "license", "serial"],
        set_={name: getattr(stmt.excluded, name) for name in (
            "route", "group_id", "condition", "state", "send_resolved", "camera_event_id",
            "data", "last_sent_at", "notification_id", "remind_at")})
    conn.execute(stmt, list(rows))


def firing(conn: Connection, license: str, serial: str) -> list[Any]:
    """Log rows of a camera that said it was not normal and want a resolved message."""
    return list(conn.execute(
        select(notification_log)
        .where(notification_log.c.license == license, notification_log.c.serial == serial,
               notification_log.c.state == "firing", notification_log.c.send_resolved)
        .order_by(notification_log.c.id)
        .with_for_update()).all())


def mark_resolving(conn: Connection, log_id: int) -> None:
    conn.execute(update(notification_log).where(notification_log.c.id == log_id)
                 .values(state="resolving", remind_at=None))
