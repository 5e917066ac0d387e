"""Typed VisionAlert API results, field for field as the API reference documents them.

Unknown fields are ignored (upstream may add some); a missing or mistyped
documented field makes the answer unusable, which the client reports as
``UpstreamRejected`` instead of letting a ``KeyError`` escape.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class License(_Model):
    id: int
    code: str


class Camera(_Model):
    id: int
    serial: str
    name: str = ""
    license: str = ""
    tags: list[str] = Field(default_factory=list)
    notes: str | None = None
    latest_status: str | None = None


class AlertCamera(_Model):
    serial: str
    name: str = ""
    status: str = ""
    anomalies: dict[str, float] = Field(default_factory=dict)
    snapshot: str | None = None
    reference_image: str | None = None


class Alert(_Model):
    id: int
    license: str = ""
    sent: bool = False
    cameras: list[AlertCamera] = Field(default_factory=list)
    created: str

    @property
    def created_ts(self) -> float:
        return parse_timestamp(self.created)


class Log(_Model):
    """One camera monitoring log (List License Logs / List Camera Logs)."""

    id: int
    camera_serial: str
    camera_name: str = ""
    status: str
    anomalies: dict[str, float] = Field(default_factory=dict)
    snapshot: str | None = None
    created: str

    @property
    def created_ts(self) -> float:
        return parse_timestamp(self.created)


class Reference(_Model):
    reference_image: str | None = None


class Page(_Model):
    """The pagination envelope; ``results`` stay raw until the caller types them."""

    next: str | None = None
    previous: str | None = None
    results: list[dict[str, object]]


def parse_timestamp(text: str) -> float:
    """Upstream ISO 8601 (``...Z`` or an offset) -> epoch seconds; naive is taken as UTC."""
    stamp = datetime.fromisoformat(text)
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()
