"""Hold-down: a camera event held for ``hold_for`` is dropped if the camera recovers first."""

from __future__ import annotations


def held_down(*, held: bool, joined_at: float, last_normal_at: float | None) -> bool:
    """True when a held event's camera was seen normal after the event arrived."""
    return held and last_normal_at is not None and last_normal_at >= joined_at
