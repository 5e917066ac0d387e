"""Per-target rate-limit windows in the store, and the deliveries they held back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select, update

from router.model.window import Window
from router.store.dialect import upsert
from router.store.notifications import NewNotification, insert_notification
from router.store.schema import deliveries, notifications
from router.store.schema_groups import target_rates


def take(conn: Connection, dialect: str, target_key: str, count: int, period: float,
         now: float) -> float | None:
    """Use one send of the target's window: None if allowed, else when it reopens."""
    conn.execute(upsert(dialect, target_rates)
                 .values(target_key=target_key, window_start=now, sent=0)
                 .on_conflict_do_nothing(index_elements=["target_key"]))
    row = conn.execute(select(target_rates).where(target_rates.c.target_key == target_key)
                       .with_for_update()).one()
    window, reopens = Window.take(Window(row.window_start, row.sent), count=count,
                                  period=period, now=now)
    conn.execute(update(target_rates).where(target_rates.c.target_key == target_key)
                 .values(window_start=window.start, sent=window.sent))
    return reopens


def reopened(conn: Connection, now: float) -> list[Any]:
    """Held-back deliveries whose window reopened, locked, ordered by target then id."""
    return list(conn.execute(
        select(deliveries, notifications.c.title, notifications.c.body,
               notifications.c.camera_event_ids, notifications.c.route)
        .join(notifications, notifications.c.id == deliveries.c.notification_id)
        .where(deliveries.c.state == "limited", deliveries.c.next_attempt_at <= now)
        .order_by(deliveries.c.target_key, deliveries.c.id)
        .with_for_update(skip_locked=True)).all())


def send_now(conn: Connection, delivery_id: int, now: float) -> None:
    conn.execute(update(deliveries).where(deliveries.c.id == delivery_id)
                 .values(state="pending", next_attempt_at=now))


def merge(conn: Connection, held: Sequence[int], digest: NewNotification, now: float) -> None:
    """Write the digest and mark the deliveries it carries as merged into it."""
    nid = insert_notification(conn, digest, now)
    merged = conn.execute(select(deliveries.c.id)
                          .where(deliveries.c.notification_id == nid)).scalar_one()
    conn.execute(update(deliveries).where(deliveries.c.id.in_(list(held)))
                 .values(state="merged", merged_into=merged, finished_at=now))
