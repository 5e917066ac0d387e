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


@dataclass(frozen=True)
class CameraLog:
    """One monitoring log as the state tracker read it from the license logs."""

    license: str
    serial: str
    id: int
    created: float
    status: str
    anomalies: dict[str, float]
    snapshot: str | None = None
    name: str = ""
    tags: tuple[str, ...] = ()  # from the cached camera directory (logs carry none)

    @property
    def order(self) -> tuple[float, int]:
        return (self.created, self.id)
