"""Silence stage: is a camera event muted by an active silence, and by which one."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from router.errors import MatchError
from router.model import CameraEvent
from router.rules.inhibit import matches, parse_match
from router.rules.matchers import Matcher
from router.store import silences as store
from router.store.db import Database
from router.store.silences import SilenceRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Silence:
    id: int
    matchers: tuple[Matcher, ...]
    starts_at: float
    ends_at: float
    author: str
    comment: str

    def active(self, now: float) -> bool:
        return self.starts_at <= now < self.ends_at

    def describe(self) -> str:
        return f"silence {self.id} by {self.author}" + (f": {self.comment}" if self.comment
                                                        else "")


def create(db: Database, *, matchers: dict[str, Any], starts_at: float, ends_at: float,
           author: str, comment: str, now: float) -> SilenceRow:
    """Validate a silence (MatchError says what is wrong), then store it."""
    parse_match(matchers)
    if ends_at <= starts_at:
        raise MatchError("ends_at must be after starts_at")
    return store.create(db, matchers=matchers, starts_at=starts_at, ends_at=ends_at,
                        author=author, comment=comment, now=now)


def compiled(rows: Iterable[SilenceRow]) -> list[Silence]:
    """Stored silences -> matchers; one that no longer parses is skipped, loudly."""
    found = []
    for r in rows:
        try:
            _, matchers = parse_match(r.matchers)
        except MatchError as exc:
            log.error("stored silence no longer valid; ignored",
                      extra={"silence": r.id, "error": str(exc)})
            continue
        found.append(Silence(r.id, matchers, r.starts_at, r.ends_at, r.author, r.comment))
    return found


def silenced_by(event: CameraEvent, silences: Sequence[Silence], now: float,
                sites: Mapping[str, Any] | None = None) -> Silence | None:
    """The first active silence whose matchers all hold for ``event``."""
    for silence in silences:
        if silence.active(now) and matches(silence.matchers, event, sites):
            return silence
    return None
