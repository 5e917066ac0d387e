"""Deliveries: one notification to one target, the unit of retry, claimed with a lease.

States: ``pending`` (due at ``next_attempt_at``), ``limited`` (held back by the
target's rate limit until its window reopens, then sent alone or merged into a
digest), ``delivered``, ``dead`` (a dead letter: kept, listed, replayable) and
``merged`` (sent inside the digest delivery ``merged_into``).

Isolation: a claim never takes more than ``per_target`` deliveries of one
target at once, across every worker, so a hanging target holds at most that
many send slots and never starves the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, get_args

from sqlalchemy import Connection, bindparam, func, insert, or_, select, update

from router.model.delivery import DeliveryState, Outcome
from router.store import ratelimits
from router.store.db import Database
from router.store.notifications import NewNotification, insert_notification
from router.store.schema import attempts, deliveries, notifications

STATES: tuple[DeliveryState, ...] = get_args(DeliveryState)


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
    message: dict[str, Any]
    route: str = ""
    kind: str = "firing"
    camera_event_ids: tuple[int, ...] = ()
    budget_from: int = 0
    age_from: float | None = None

    @property
    def attempts_since_replay(self) -> int:
        return self.attempts - self.budget_from

    @property
    def age_start(self) -> float:
        return self.age_from if self.age_from is not None else self.created_at


@dataclass(frozen=True)
class AttemptRecord:
    started_at: float
    elapsed: float
    outcome: str
    error: str | None
    notes: str | None = None


def claim_deliveries(db: Database, *, owner: str, now: float, lease: float, limit: int,
                     per_target: int = 1_000_000) -> list[DeliveryClaim]:
    with db.write() as conn:
        busy = _busy_targets(conn, now)
        full = sorted(k for k, n in busy.items() if n >= per_target)
        candidates = conn.execute(
            select(deliveries.c.id, deliveries.c.target_key, deliveries.c.rate_limit,
                   deliveries.c.rate_period)
            .where(deliveries.c.state == "pending", deliveries.c.next_attempt_at <= now,
                   or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < now),
                   deliveries.c.target_key.not_in(full))
            .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)).all()
        picked: list[int] = []
        held: list[dict[str, Any]] = []
        for c in candidates:
            if busy.get(c.target_key, 0) >= per_target:
                # Left for a later claim; targets at their cap are not even selected then.
                continue
            if c.rate_limit:
                reopens = ratelimits.take(conn, db.dialect, c.target_key, c.rate_limit,
                                          c.rate_period, now)
                if reopens is not None:
                    held.append({"b_id": c.id, "b_at": reopens})
                    continue
            busy[c.target_key] = busy.get(c.target_key, 0) + 1
            picked.append(c.id)
        if held:
            conn.execute(update(deliveries).where(deliveries.c.id == bindparam("b_id"))
                         .values(state="limited", next_attempt_at=bindparam("b_at")), held)
        if not picked:
            return []
        conn.execute(update(deliveries).where(deliveries.c.id.in_(picked))
                     .values(lease_owner=owner, lease_until=now + lease))
        rows = conn.execute(
            select(deliveries, notifications.c.title, notifications.c.body,
                   notifications.c.route, notifications.c.kind,
                   notifications.c.camera_event_ids)
            .join(notifications, notifications.c.id == deliveries.c.notification_id)
            .where(deliveries.c.id.in_(picked))
            .order_by(deliveries.c.next_attempt_at, deliveries.c.id)).all()
    return [_claim(r) for r in rows]


def _busy_targets(conn: Connection, now: float) -> dict[str, int]:
    rows = conn.execute(
        select(deliveries.c.target_key, func.count())
        .where(deliveries.c.state == "pending", deliveries.c.lease_until >= now)
        .group_by(deliveries.c.target_key)).all()
    return {key: int(n) for key, n in rows}


def _claim(r: Any) -> DeliveryClaim:
    message = r.message or {"title": r.title, "body": r.body}
    return DeliveryClaim(
        delivery_id=r.id, notification_id=r.notification_id, receiver=r.receiver,
        target_index=r.target_index, target_key=r.target_key, target=r.target,
        attempts=r.attempts, created_at=r.created_at, title=r.title, body=r.body,
        message=dict(message), route=r.route, kind=r.kind or "firing",
        camera_event_ids=tuple(r.camera_event_ids or ()), budget_from=r.budget_from or 0,
        age_from=r.age_from)


def record_attempt(db: Database, claim: DeliveryClaim, *, owner: str, worker: str,
                   attempt: AttemptRecord, outcome: Outcome, now: float,
                   fallback: Sequence[NewNotification] = ()) -> bool:
    """Store the attempt and the delivery's new state; False if the lease was lost.

    When the delivery ends dead and every delivery of its notification is dead,
    the ``fallback`` notifications (rendered by the caller, outside the
    transaction) are written in the same transaction, once per receiver.
    """
    number = claim.attempts + 1
    with db.write() as conn:
        conn.execute(insert(attempts).values(
            delivery_id=claim.delivery_id, number=number, started_at=attempt.started_at,
            elapsed=attempt.elapsed, outcome=attempt.outcome, error=attempt.error,
            worker=worker, notes=attempt.notes))
        result = conn.execute(
            update(deliveries)
            .where(deliveries.c.id == claim.delivery_id, deliveries.c.lease_owner == owner,
                   deliveries.c.state == "pending")
            .values(attempts=number, state=outcome.state,
                    next_attempt_at=outcome.next_attempt_at or now, lease_owner=None,
                    lease_until=None, last_error=attempt.error,
                    finished_at=None if outcome.state == "pending" else now))
        if result.rowcount != 1:
            return False
        if outcome.state == "dead" and fallback:
            _fall_back(conn, claim.notification_id, fallback, now)
        return True


def _fall_back(conn: Connection, notification_id: int,
               fallback: Sequence[NewNotification], now: float) -> None:
    # Locks the notification so two workers ending its last deliveries agree.
    conn.execute(select(notifications.c.id).where(notifications.c.id == notification_id)
                 .with_for_update()).one()
    states = set(conn.execute(select(deliveries.c.state)
                              .where(deliveries.c.notification_id == notification_id)).scalars())
    if states != {"dead"}:
        return
    done = set(conn.execute(select(notifications.c.receiver)
                            .where(notifications.c.fallback_of == notification_id)).scalars())
    for note in fallback:
        if note.receiver not in done:
            insert_notification(conn, note, now)


def release_owned(db: Database, *, owner: str) -> int:
    """On shutdown: hand back every delivery this worker holds but has not sent."""
    with db.write() as conn:
        result = conn.execute(
            update(deliveries)
            .where(deliveries.c.lease_owner == owner, deliveries.c.state == "pending")
            .values(lease_owner=None, lease_until=None))
        return result.rowcount


def replay(db: Database, *, ids: Sequence[int] = (), all_dead: bool = False,
           now: float) -> list[int]:
    """Dead letters back to pending, with a fresh attempt budget; returns those replayed."""
    with db.write() as conn:
        query = select(deliveries.c.id).where(deliveries.c.state == "dead")
        if not all_dead:
            query = query.where(deliveries.c.id.in_(list(ids)))
        chosen = list(conn.execute(query.order_by(deliveries.c.id)
                                   .with_for_update(skip_locked=True)).scalars())
        if chosen:
            conn.execute(
                update(deliveries).where(deliveries.c.id.in_(chosen))
                .values(state="pending", next_attempt_at=now, budget_from=deliveries.c.attempts,
                        age_from=now, finished_at=None, lease_owner=None, lease_until=None))
    return chosen


def counts(db: Database) -> dict[str, int]:
    with db.read() as conn:
        rows = conn.execute(select(deliveries.c.state, func.count())
                            .group_by(deliveries.c.state)).all()
    found: dict[str, int] = dict.fromkeys(STATES, 0)
    found.update({state: int(n) for state, n in rows})
    return found
