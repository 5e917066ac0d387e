"""A camera as the store knows it now: its tags and its active conditions."""

from __future__ import annotations

from dataclasses import dataclass

from router.model import CameraEvent


@dataclass(frozen=True)
class KnownCamera:
    license: str
    serial: str
    tags: tuple[str, ...]
    active: tuple[CameraEvent, ...] = ()
