"""Groups in the store: items join them while routing; due groups are claimed with a
lease, flushed, and the flush recorded in one transaction fenced by that lease.

Two workers can never flush the same group at once (the lease), and a flush is
recorded at most once (``notifications`` is unique per group and flush number).
Items that join while a group is being flushed stay pending for the next flush.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, or_, select, update

from router.errors import LeaseLost
from router.model import CameraEvent
from router.model.groups import GroupItem
from router.model.timing import Timing
from router.store.db import Database
from router.store.dialect import upsert
from router.store.schema_groups import group_items, groups


@dataclass(frozen=True)
class GroupClaim:
    id: int
    receiver: str
    route: str
    key: str
    labels: dict[str, Any]
    timing: Timing
    flushes: int
    last_flush_at: float | None


def add_items(conn: Connection, dialect: str, items: Sequence[GroupItem], now: float) -> None:
    """Put items into their groups (created on first use) and schedule the groups."""
    by_group: dict[tuple[str, str, str], list[GroupItem]] = {}
    for item in items:
        by_group.setdefault((item.receiver, item.route, item.key), []).append(item)
    # Sorted, so concurrent writers lock group rows in one order (no deadlocks).
    for _group, members in sorted(by_group.items(), key=lambda kv: kv[0]):
        group_id = _schedule(conn, dialect, members[0], now,
                             min(m.due_at for m in members))
        conn.execute(insert(group_items), [
            {"group_id": group_id, "camera_event_id": m.camera_event_id,
             "alert_id": m.alert_id, "license": m.event.license, "serial": m.event.serial,
             "kind": m.kind, "condition": m.condition, "data": m.event.to_dict(),
             "held": m.held, "due_at": m.due_at, "state": "pending", "created_at": now}
            for m in members
        ])


def _schedule(conn: Connection, dialect: str, item: GroupItem, now: float,
              due_at: float) -> int:
    conn.execute(
        upsert(dialect, groups)
        .values(receiver=item.receiver, route=item.route, group_key=item.key,
                labels=item.labels, options=item.timing.to_dict(), flushes=0,
                created_at=now)
        .on_conflict_do_nothing(index_elements=["receiver", "route", "group_key"]))
    row = conn.execute(
        select(groups.c.id, groups.c.next_flush_at, groups.c.last_flush_at)
        .where(groups.c.receiver == item.receiver, groups.c.route == item.route,
               groups.c.group_key == item.key)
        .with_for_update()).one()
    when = item.timing.flush_at(now, last_flush_at=row.last_flush_at, due_at=due_at)
    if row.next_flush_at is not None:
        when = min(when, row.next_flush_at)
    conn.execute(update(groups).where(groups.c.id == row.id)
                 .values(next_flush_at=when, options=item.timing.to_dict()))
    return int(row.id)


def add_to_group(conn: Connection, group_id: int, item: GroupItem, now: float, *,
                 rearm: bool = False) -> None:
    """Add a resolution or a reminder to an existing group (found through the log).

    ``rearm``: an item of the same event and kind that was flushed before becomes
    pending again (a reminder of an unchanged camera); a pending one stays as it is.
    """
    row = conn.execute(select(groups.c.next_flush_at, groups.c.last_flush_at, groups.c.options)
                       .where(groups.c.id == group_id).with_for_update()).one()
    timing = Timing.from_dict(row.options)
    when = timing.flush_at(now, last_flush_at=row.last_flush_at, due_at=now)
    if row.next_flush_at is not None:
        when = min(when, row.next_flush_at)
    conn.execute(update(groups).where(groups.c.id == group_id).values(next_flush_at=when))
    stmt = upsert(conn.dialect.name, group_items).values(
        group_id=group_id, camera_event_id=item.camera_event_id, alert_id=item.alert_id,
        license=item.event.license, serial=item.event.serial, kind=item.kind,
        condition=item.condition, data=item.event.to_dict(), held=False, due_at=now,
        state="pending", created_at=now)
    keys = ["group_id", "camera_event_id", "kind"]
    if not rearm:
        conn.execute(stmt.on_conflict_do_nothing(index_elements=keys))
        return
    conn.execute(stmt.on_conflict_do_update(
        index_elements=keys,
        set_={"state": "pending", "due_at": now, "reason": None, "notification_id": None,
              "done_at": None, "held": False, "condition": item.condition,
              "data": item.event.to_dict(), "created_at": now},
        where=group_items.c.state != "pending"))


def claim_groups(db: Database, *, owner: str, now: float, lease: float,
                 limit: int) -> list[GroupClaim]:
    with db.write() as conn:
        ids = list(conn.execute(
            select(groups.c.id)
            .where(groups.c.next_flush_at <= now,
                   or_(groups.c.lease_until.is_(None), groups.c.lease_until < now))
            .order_by(groups.c.next_flush_at, groups.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)).scalars())
        if not ids:
            return []
        conn.execute(update(groups).where(groups.c.id.in_(ids))
                     .values(lease_owner=owner, lease_until=now + lease))
        rows = conn.execute(select(groups).where(groups.c.id.in_(ids))
                            .order_by(groups.c.next_flush_at, groups.c.id)).all()
    return [GroupClaim(r.id, r.receiver, r.route, r.group_key, dict(r.labels),
                       Timing.from_dict(r.options), r.flushes, r.last_flush_at) for r in rows]


def due_items(db: Database, claim: GroupClaim, now: float) -> list[GroupItem]:
    """The claimed group's pending items that are due, oldest first."""
    with db.read() as conn:
        rows = conn.execute(
            select(group_items)
            .where(group_items.c.group_id == claim.id, group_items.c.state == "pending",
                   group_items.c.due_at <= now)
            .order_by(group_items.c.id)).all()
    return [GroupItem(receiver=claim.receiver, route=claim.route, key=claim.key,
                      event=CameraEvent.from_dict(r.data), condition=r.condition,
                      timing=claim.timing, labels=dict(claim.labels), kind=r.kind,
                      held=r.held, due_at=r.due_at, camera_event_id=r.camera_event_id,
                      alert_id=r.alert_id, id=r.id, created_at=r.created_at) for r in rows]


def lock_group(conn: Connection, claim: GroupClaim, *, owner: str) -> None:
    """Lock the claimed group for the flush record; LeaseLost if it is not ours any more."""
    held = conn.execute(
        select(groups.c.id).where(groups.c.id == claim.id, groups.c.lease_owner == owner)
        .with_for_update()).first()
    if held is None:
        raise LeaseLost(f"group {claim.id} is no longer leased to {owner}")


def finish_flush(conn: Connection, claim: GroupClaim, *, now: float,
                 item_states: Sequence[dict[str, Any]]) -> None:
    """Write the items' verdicts and schedule the group's next flush (after lock_group)."""
    if item_states:
        conn.execute(
            update(group_items)
            .where(group_items.c.id == bindparam("b_id"), group_items.c.state == "pending")
            .values(state=bindparam("b_state"), reason=bindparam("b_reason"),
                    notification_id=bindparam("b_notification"), done_at=now),
            list(item_states))
    pending_due = conn.execute(
        select(func.min(group_items.c.due_at))
        .where(group_items.c.group_id == claim.id, group_items.c.state == "pending")
    ).scalar()
    conn.execute(
        update(groups).where(groups.c.id == claim.id)
        .values(flushes=groups.c.flushes + 1, last_flush_at=now,
                next_flush_at=claim.timing.next_after_flush(now, pending_due),
                lease_owner=None, lease_until=None))


def release(db: Database, claim: GroupClaim, *, owner: str, retry_at: float) -> None:
    """Hand a group back after a failed flush, to be tried again at ``retry_at``."""
    with db.write() as conn:
        conn.execute(update(groups)
                     .where(groups.c.id == claim.id, groups.c.lease_owner == owner)
                     .values(lease_owner=None, lease_until=None, next_flush_at=retry_at))


def release_owned(db: Database, *, owner: str) -> int:
    with db.write() as conn:
        result = conn.execute(update(groups).where(groups.c.lease_owner == owner)
                              .values(lease_owner=None, lease_until=None))
        return result.rowcount
