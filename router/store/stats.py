"""Figures for metrics: what waits in the inbox and the delivery queue, the open
incidents and how far behind the state tracker is."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from router.store.db import Database
from router.store.schema import PENDING, alerts, deliveries
from router.store.schema_groups import incidents
from router.store.schema_upstream import state_cursors


@dataclass(frozen=True)
class QueueStats:
    inbox_pending: int
    oldest_pending_at: float | None
    deliveries_pending: int
    dead_letters: int
    incidents_open: int = 0
    incidents_acknowledged: int = 0
    # The oldest of the licenses' last good tracker rounds (None: never ran).
    tracker_checked_at: float | None = None


def inbox_backlog(conn: Connection) -> tuple[int, float | None]:
    """How many alerts wait for the worker, and when the oldest of them arrived."""
    pending, oldest = conn.execute(
        select(func.count(), func.min(alerts.c.received_at)).where(PENDING)).one()
    return int(pending), float(oldest) if oldest is not None else None


def queue_stats(db: Database) -> QueueStats:
    with db.read() as conn:
        pending, oldest = inbox_backlog(conn)
        by_state: dict[str, int] = {
            state: count
            for state, count in conn.execute(
                select(deliveries.c.state, func.count())
                .where(deliveries.c.state.in_(("pending", "dead")))
                .group_by(deliveries.c.state)
            )
        }
        open_by_state: dict[str, int] = dict(conn.execute(
            select(incidents.c.state, func.count())
            .where(incidents.c.open_key.is_not(None)).group_by(incidents.c.state)).all())
        checked = conn.execute(select(func.min(state_cursors.c.checked_at))).scalar()
    return QueueStats(
        inbox_pending=pending,
        oldest_pending_at=oldest,
        deliveries_pending=int(by_state.get("pending", 0)),
        dead_letters=int(by_state.get("dead", 0)),
        incidents_open=int(open_by_state.get("open", 0)),
        incidents_acknowledged=int(open_by_state.get("acknowledged", 0)),
        tracker_checked_at=float(checked) if checked is not None else None,
    )
