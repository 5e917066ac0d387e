"""The operations the dashboard calls: silences and dead-letter replay.

They belong to the store (``router.store.silences``,
``router.store.deliveries``); this module adapts them to the pages and turns
their refusals into messages a person can act on.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from router.errors import MatchError, Refused, SilenceNotFound
from router.pipeline.flush import silence as silencing
from router.store import deliveries, silences
from router.store.db import Database


def list_silences(db: Database, now: float) -> list[dict[str, Any]]:
    """Every silence, newest first, with its state at ``now``."""
    rows = silences.list_all(db, now=now)
    return [{**asdict(r), "state": r.state(now)} for r in reversed(rows)]


def create_silence(db: Database, *, matchers: dict[str, Any], starts_at: float, ends_at: float,
                   author: str, comment: str, now: float) -> int:
    try:
        row = silencing.create(db, matchers=matchers, starts_at=starts_at, ends_at=ends_at,
                              author=author, comment=comment, now=now)
    except MatchError as exc:
        raise Refused(f"silence not valid: {exc}") from None
    return row.id


def expire_silence(db: Database, silence_id: int, now: float) -> bool:
    """True if it was in force (or pending) and has now ended."""
    try:
        before = silences.get(db, silence_id)
    except SilenceNotFound:
        return False
    if before.ends_at <= now:
        return False
    silences.expire(db, silence_id, now=now)
    return True


def replay(db: Database, delivery_id: int, now: float) -> bool:
    return bool(deliveries.replay(db, ids=[delivery_id], now=now))


def replay_all_dead(db: Database, now: float) -> int:
    return len(deliveries.replay(db, all_dead=True, now=now))
