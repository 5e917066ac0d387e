"""Named leases for singleton jobs: at most one holder per name across every replica.

A lease is taken or renewed with one conditional upsert (free, expired, or
already ours), so two replicas racing for it cannot both win. A holder that
dies simply stops renewing; the next replica takes over once it expires.
"""

from __future__ import annotations

from sqlalchemy import case, delete, or_, select

from router.store.db import Database
from router.store.dialect import upsert
from router.store.schema_upstream import leases


def acquire(db: Database, name: str, *, owner: str, now: float, ttl: float) -> bool:
    """Take or renew ``name`` for ``ttl`` seconds; False while someone else holds it."""
    with db.write() as conn:
        stmt = (
            upsert(db.dialect, leases)
            .values(name=name, owner=owner, acquired_at=now, expires_at=now + ttl)
            .on_conflict_do_update(
                index_elements=[leases.c.name],
                set_={"owner": owner, "expires_at": now + ttl,
                      "acquired_at": case((leases.c.owner == owner, leases.c.acquired_at),
                                          else_=now)},
                where=or_(leases.c.owner == owner, leases.c.expires_at <= now),
            )
            .returning(leases.c.owner)
        )
        return conn.execute(stmt).first() is not None


def release(db: Database, name: str, *, owner: str) -> None:
    """Give the lease up at once (clean shutdown), if we hold it."""
    with db.write() as conn:
        conn.execute(delete(leases).where(leases.c.name == name, leases.c.owner == owner))


def holder(db: Database, name: str, *, now: float) -> str | None:
    """Who holds ``name`` now, if anyone (status pages, tests)."""
    with db.read() as conn:
        return conn.execute(
            select(leases.c.owner).where(leases.c.name == name, leases.c.expires_at > now)
        ).scalar_one_or_none()
