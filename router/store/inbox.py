"""The inbox: accepted alerts waiting for the worker, claimed with a lease.

An entry is the alert row itself (``inbox_state`` and the lease columns), so the
receive path writes one row; ``entry_id`` is the alert id.

A claim is a lease, not a lock: a worker that dies simply stops renewing it, and
the entry is claimed again once ``lease_until`` has passed. Completion is fenced
by ``lease_owner`` so a worker that lost its lease cannot record twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, or_, select, update

from router.errors import LeaseLost
from router.store.db import Database
from router.store.schema import PENDING, alerts


@dataclass(frozen=True)
class InboxClaim:
    alert_id: int
    claims: int
    received_at: float
    payload: dict[str, Any]

    @property
    def entry_id(self) -> int:
        """The entry is the alert row: same id."""
        return self.alert_id


def claim_inbox(db: Database, *, owner: str, now: float, lease: float,
                limit: int) -> list[InboxClaim]:
    with db.write() as conn:
        ids = list(
            conn.execute(
                select(alerts.c.id)
                .where(
                    PENDING,
                    alerts.c.available_at <= now,
                    or_(alerts.c.lease_until.is_(None), alerts.c.lease_until < now),
                )
                .order_by(alerts.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).scalars()
        )
        if not ids:
            return []
        conn.execute(
            update(alerts)
            .where(alerts.c.id.in_(ids))
            .values(lease_owner=owner, lease_until=now + lease, claims=alerts.c.claims + 1)
        )
        rows = conn.execute(
            select(alerts.c.id, alerts.c.claims, alerts.c.received_at, alerts.c.payload)
            .where(alerts.c.id.in_(ids))
            .order_by(alerts.c.id)
        ).all()
    return [InboxClaim(r.id, r.claims, r.received_at, r.payload) for r in rows]


def finish_entry(conn: Connection, claim: InboxClaim, *, owner: str, now: float) -> None:
    """Mark the entry done inside the caller's transaction, or raise LeaseLost."""
    result = conn.execute(
        update(alerts)
        .where(alerts.c.id == claim.entry_id, PENDING, alerts.c.lease_owner == owner)
        .values(inbox_state="done", done_at=now, lease_owner=None, lease_until=None)
    )
    if result.rowcount != 1:
        raise LeaseLost(f"inbox entry {claim.entry_id} is no longer leased to {owner}")


def release_entry(db: Database, claim: InboxClaim, *, owner: str, now: float, delay: float,
                  error: str) -> None:
    """Give the entry back for a later try (after ``delay`` seconds), keeping the reason."""
    with db.write() as conn:
        conn.execute(
            update(alerts)
            .where(alerts.c.id == claim.entry_id, alerts.c.lease_owner == owner)
            .values(lease_owner=None, lease_until=None, available_at=now + delay,
                    last_error=error)
        )


def release_owned(db: Database, *, owner: str) -> int:
    """On shutdown: hand back every entry this worker still holds."""
    with db.write() as conn:
        result = conn.execute(
            update(alerts)
            .where(alerts.c.lease_owner == owner, PENDING)
            .values(lease_owner=None, lease_until=None)
        )
        return result.rowcount
