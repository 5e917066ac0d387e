"""The vocabulary shared by every stage: alerts, camera events and their labels.

An *alert* is one webhook as received; a *camera event* is one camera of one
alert, the unit of routing. VisionAlert labels are free text (``Offline``,
``Anomaly``, ``Blur``...): they are normalised here, case-insensitively, and an
unknown label is kept as an anomaly type rather than rejected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any, Literal

from pydantic import TypeAdapter


class Status(StrEnum):
    """Camera status, as the VisionAlert API spells its enum."""

    NORMAL = "normal"
    ANOMALY = "anomaly"
    UNDER_REVIEW = "under_review"
    OFFLINE = "offline"
    CONFIG_ISSUE = "config_issue"
    NO_DATA = "no_data"
    PENDING_RETRY = "pending_retry"


ANOMALY_TYPES = ("Blur", "Obstruction", "Glare", "Position change")

_ANOMALY_BY_KEY = {a.casefold(): a for a in ANOMALY_TYPES}
_ANOMALY_BY_KEY["position_change"] = "Position change"
_STATUS_BY_KEY = {s.value: s for s in Status}
_STATUS_BY_KEY.update({"under review": Status.UNDER_REVIEW, "config issue": Status.CONFIG_ISSUE,
                       "no data": Status.NO_DATA, "pending retry": Status.PENDING_RETRY})
_SPACES = re.compile(r"\s+")


def label_key(label: str) -> str:
    """The case- and spacing-insensitive key under which labels compare."""
    return _SPACES.sub(" ", label.strip()).casefold()


def canonical_anomaly(label: str) -> str:
    """``'OBSTRUCTION'`` -> ``'Obstruction'``; unknown labels keep their own spelling."""
    key = label_key(label)
    return _ANOMALY_BY_KEY.get(key, _SPACES.sub(" ", label.strip()))


@dataclass(frozen=True)
class Label:
    """What a VisionAlert label says: a status, and the anomaly types it names."""

    status: Status
    anomalies: tuple[str, ...] = ()


@lru_cache(maxsize=1024)  # a fleet uses a handful of labels; every webhook parses two
def parse_label(raw: str | None) -> Label:
    """Normalise a webhook ``anomaly`` or an API status label.

    ``Offline`` -> offline; ``Anomaly`` -> anomaly with no type; ``Blur`` ->
    anomaly of type Blur; anything unknown -> anomaly of that (kept) type.
    """
    if raw is None or not raw.strip():
        return Label(Status.ANOMALY)
    key = label_key(raw)
    if key in _STATUS_BY_KEY:
        return Label(_STATUS_BY_KEY[key])
    return Label(Status.ANOMALY, (canonical_anomaly(raw),))


@dataclass(frozen=True)
class CameraEvent:
    """One camera of one alert after enrichment: the unit of routing."""

    alert_id: int
    index: int
    license: str
    serial: str
    name: str
    tags: tuple[str, ...]
    status: Status
    label: str = ""
    anomalies: Mapping[str, float | None] = field(default_factory=dict)
    snapshot_url: str | None = None
    reference_url: str | None = None
    upstream_alert_id: int | None = None
    enriched: bool = False
    enrichment_note: str | None = None
    notes: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored in the database and handed to templates."""
        return _EVENT.dump_python(self, mode="json")  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CameraEvent:
        # None is how older rows spell "not given"; every field with a default takes it.
        return _EVENT.validate_python({k: v for k, v in d.items() if v is not None})


_EVENT: TypeAdapter[CameraEvent] = TypeAdapter(CameraEvent)


@dataclass(frozen=True)
class Decision:
    """Why one camera event went to one receiver, or nowhere."""

    event_index: int
    outcome: Literal["routed", "unrouted"]
    route: str | None
    receiver: str | None
    reason: str


@dataclass(frozen=True)
class ParsedAlert:
    """A validated webhook: the normalised form and the key that identifies its content."""

    license: str
    user: str | None
    label: str | None
    status: str
    normalised: dict[str, Any]
    dedup_key: str

    @property
    def camera_count(self) -> int:
        return len(self.normalised["cameras"])
