"""Per-target rate-limit windows in the store, and the release of what they held back."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from sqlalchemy import Connection, select, update

from router.pipeline.ratelimit import Window, digest
from router.pipeline.ratelimit import take as take_window
from router.store.db import Database
from router.store.dialect import upsert
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
    window, reopens = take_window(Window(row.window_start, row.sent), count=count,
                                  period=period, now=now)
    conn.execute(update(target_rates).where(target_rates.c.target_key == target_key)
                 .values(window_start=window.start, sent=window.sent))
    return reopens


def release_limited(db: Database, *, now: float) -> int:
    """Deliveries whose window reopened: one alone is sent as is, several as one digest."""
    from router.store.routing import NewNotification, Target, insert_notification

    with db.write() as conn:
        rows = conn.execute(
            select(deliveries, notifications.c.title, notifications.c.body,
                   notifications.c.camera_event_ids, notifications.c.route)
            .join(notifications, notifications.c.id == deliveries.c.notification_id)
            .where(deliveries.c.state == "limited", deliveries.c.next_attempt_at <= now)
            .order_by(deliveries.c.target_key, deliveries.c.id)
            .with_for_update(skip_locked=True)).all()
        released = 0
        for _key, group in groupby(rows, key=lambda r: r.target_key):
            held = list(group)
            released += len(held)
            if len(held) == 1:
                conn.execute(update(deliveries).where(deliveries.c.id == held[0].id)
                             .values(state="pending", next_attempt_at=now))
                continue
            first = held[0]
            message = digest([_message(r) for r in held],
                             limit=f"{first.rate_limit}/{first.rate_period:g}s")
            note = NewNotification(
                route=first.route, receiver=first.receiver, title=message["title"],
                body=message["body"], kind="digest",
                camera_event_ids=sorted({i for r in held for i in r.camera_event_ids or ()}),
                reason=f"rate limit digest of {len(held)} notifications",
                targets=[Target(first.target_index, first.target_key, first.target, message,
                                (first.rate_limit, first.rate_period))])
            nid = insert_notification(conn, note, now)
            merged = conn.execute(select(deliveries.c.id)
                                  .where(deliveries.c.notification_id == nid)).scalar_one()
            conn.execute(update(deliveries).where(deliveries.c.id.in_([r.id for r in held]))
                         .values(state="merged", merged_into=merged, finished_at=now))
        return released


def _message(r: Any) -> dict[str, Any]:
    return dict(r.message) if r.message else {"title": r.title, "body": r.body}
