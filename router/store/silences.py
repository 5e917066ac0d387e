"""Silences in the store: created, listed and expired by people; read at every flush,
so a silence applies, and stops applying, without a restart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from router.errors import SilenceNotFound
from router.store.db import Database
from router.store.schema_groups import silences


@dataclass(frozen=True)
class SilenceRow:
    id: int
    matchers: dict[str, Any]
    starts_at: float
    ends_at: float
    author: str
    comment: str
    created_at: float
    updated_at: float

    def state(self, now: float) -> str:
        if now < self.starts_at:
            return "pending"
        return "active" if now < self.ends_at else "expired"


def create(db: Database, *, matchers: dict[str, Any], starts_at: float, ends_at: float,
           author: str, comment: str, now: float) -> SilenceRow:
    """Store a silence (validated by ``pipeline.silence.create``)."""
    with db.write() as conn:
        new_id = conn.execute(
            insert(silences).values(matchers=matchers, starts_at=starts_at, ends_at=ends_at,
                                    author=author, comment=comment, created_at=now,
                                    updated_at=now)
            .returning(silences.c.id)).scalar_one()
        return _get(conn, int(new_id))


def expire(db: Database, silence_id: int, *, now: float) -> SilenceRow:
    """End a silence now (an already ended one keeps its end)."""
    with db.write() as conn:
        row = _get(conn, silence_id)
        if row.ends_at > now:
            conn.execute(update(silences).where(silences.c.id == silence_id)
                         .values(ends_at=max(now, row.starts_at), updated_at=now))
        return _get(conn, silence_id)


def get(db: Database, silence_id: int) -> SilenceRow:
    with db.read() as conn:
        return _get(conn, silence_id)


def list_all(db: Database, *, now: float, state: str | None = None) -> list[SilenceRow]:
    with db.read() as conn:
        rows = [_row(r) for r in conn.execute(select(silences).order_by(silences.c.id)).all()]
    return [r for r in rows if state in (None, "all") or r.state(now) == state]


def active(conn: Connection, now: float) -> list[SilenceRow]:
    """Silences in force at ``now``."""
    return [_row(r) for r in conn.execute(
        select(silences).where(silences.c.starts_at <= now, silences.c.ends_at > now)
        .order_by(silences.c.id)).all()]


def _get(conn: Connection, silence_id: int) -> SilenceRow:
    row = conn.execute(select(silences).where(silences.c.id == silence_id)).first()
    if row is None:
        raise SilenceNotFound(f"no silence with id {silence_id}")
    return _row(row)


def _row(r: Any) -> SilenceRow:
    return SilenceRow(r.id, dict(r.matchers), r.starts_at, r.ends_at, r.author, r.comment,
                      r.created_at, r.updated_at)
