"""The deliveries list."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, select

from router.store.schema import deliveries
from router.store.schema import notifications as notes
from router.store.views.paging import Page, Window, scan

DELIVERY_STATES = ("failing", "dead", "pending", "delivered")


def _delivery_where(state: str | None) -> list[ColumnElement[bool]]:
    if state == "failing":  # still being retried after at least one failed attempt
        return [deliveries.c.state == "pending", deliveries.c.attempts > 0]
    return [deliveries.c.state == state] if state else []


def list_deliveries(conn: Connection, state: str | None, window: Window) -> Page:
    """Deliveries newest first; ``state`` is one of DELIVERY_STATES or None."""
    query = (select(deliveries.c.id, deliveries.c.created_at.label("ts"), deliveries.c.receiver,
                    deliveries.c.target, deliveries.c.state, deliveries.c.attempts,
                    deliveries.c.next_attempt_at, deliveries.c.finished_at,
                    deliveries.c.last_error, notes.c.alert_id, notes.c.route, notes.c.title)
             .join(notes, notes.c.id == deliveries.c.notification_id)
             .where(*_delivery_where(state)))
    page = scan(conn, query, deliveries.c.created_at, deliveries.c.id, window)
    for r in page.rows:
        r["created_at"] = r.pop("ts")
    return page

