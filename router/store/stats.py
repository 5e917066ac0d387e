"""Queue figures for metrics: what waits in the inbox and the delivery queue."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from router.store.db import Database
from router.store.schema import PENDING, alerts, deliveries


@dataclass(frozen=True)
class QueueStats:
    inbox_pending: int
    oldest_pending_at: float | None
    deliveries_pending: int
    dead_letters: int


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
    return QueueStats(
        inbox_pending=pending,
        oldest_pending_at=oldest,
        deliveries_pending=int(by_state.get("pending", 0)),
        dead_letters=int(by_state.get("dead", 0)),
    )
