"""Deliveries: one notification to one target, the unit of retry, claimed with a lease."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, or_, select, update

from router.store.db import Database
from router.store.schema import attempts, deliveries, notifications


@dataclass(frozen=True)
class DeliveryClaim:
    delivery_id: int
    notification_id: int
    receiver: str
    target_index: int
    target_key: str
    target: str
    attempts: int
    created_at: float
    title: str
    body: str


@dataclass(frozen=True)
class Outcome:
    """What the worker decided after an attempt."""

    state: str  # "delivered" | "pending" (retry later) | "dead"
    next_attempt_at: float | None = None


@dataclass(frozen=True)
class AttemptRecord:
    started_at: float
    elapsed: float
    outcome: str
    error: str | None


def claim_deliveries(db: Database, *, owner: str, now: float, lease: float,
                     limit: int) -> list[DeliveryClaim]:
    with db.write() as conn:
        ids = list(
            conn.execute(
                select(deliveries.c.id)
                .where(
                    deliveries.c.state == "pending",
                    deliveries.c.next_attempt_at <= now,
                    or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < now),
                )
                .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).scalars()
        )
        if not ids:
            return []
        conn.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(ids))
            .values(lease_owner=owner, lease_until=now + lease)
        )
        rows = conn.execute(
            select(deliveries, notifications.c.title, notifications.c.body)
            .join(notifications, notifications.c.id == deliveries.c.notification_id)
            .where(deliveries.c.id.in_(ids))
        ).all()
    return [
        DeliveryClaim(
            delivery_id=r.id,
            notification_id=r.notification_id,
            receiver=r.receiver,
            target_index=r.target_index,
            target_key=r.target_key,
            target=r.target,
            attempts=r.attempts,
            created_at=r.created_at,
            title=r.title,
            body=r.body,
        )
        for r in rows
    ]


def record_attempt(db: Database, claim: DeliveryClaim, *, owner: str, worker: str,
                   attempt: AttemptRecord, outcome: Outcome, now: float) -> bool:
    """Store the attempt and the delivery's new state; False if the lease was lost."""
    number = claim.attempts + 1
    with db.write() as conn:
        conn.execute(
            insert(attempts).values(
                delivery_id=claim.delivery_id,
                number=number,
                started_at=attempt.started_at,
                elapsed=attempt.elapsed,
                outcome=attempt.outcome,
                error=attempt.error,
                worker=worker,
            )
        )
        result = conn.execute(
            update(deliveries)
            .where(deliveries.c.id == claim.delivery_id, deliveries.c.lease_owner == owner,
                   deliveries.c.state == "pending")
            .values(
                attempts=number,
                state=outcome.state,
                next_attempt_at=outcome.next_attempt_at or now,
                lease_owner=None,
                lease_until=None,
                last_error=attempt.error,
                finished_at=None if outcome.state == "pending" else now,
            )
        )
        return result.rowcount == 1


def release_owned(db: Database, *, owner: str) -> int:
    """On shutdown: hand back every delivery this worker holds but has not sent."""
    with db.write() as conn:
        result = conn.execute(
            update(deliveries)
            .where(deliveries.c.lease_owner == owner, deliveries.c.state == "pending")
            .values(lease_owner=None, lease_until=None)
        )
        return result.rowcount
