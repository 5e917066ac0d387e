"""Silence stage: is a camera event muted by an active silence, and by which one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from router.model import CameraEvent
from router.rules.inhibit import matches
from router.rules.matchers import Matcher


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


def silenced_by(event: CameraEvent, silences: Sequence[Silence], now: float,
                sites: Mapping[str, Any] | None = None) -> Silence | None:
    """The first active silence whose matchers all hold for ``event``."""
    for silence in silences:
        if silence.active(now) and matches(silence.matchers, event, sites):
            return silence
    return None
