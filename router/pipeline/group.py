"""Group stage: which group a camera event joins, and when a group is due to flush.

Alertmanager's timing: a new group waits ``group_wait`` to collect more events;
once it has flushed, later events go out every ``group_interval``; a group idle
for longer than ``group_interval`` starts over with ``group_wait``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from router.model import CameraEvent
from router.rules import RouteOptions


@dataclass(frozen=True)
class Timing:
    """The options a group is flushed with (JSON on the group row)."""

    group_wait: float = 30.0
    group_interval: float = 300.0
    repeat_interval: float = 4 * 3600.0
    send_resolved: bool = False
    hold_for: float = 0.0

    @classmethod
    def of(cls, options: RouteOptions) -> Timing:
        return cls(options.group_wait, options.group_interval, options.repeat_interval,
                   options.send_resolved, options.hold_for)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Timing:
        return cls(**{k: d[k] for k in asdict(cls()) if k in d})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def site_of(tags: Sequence[str], sites: Mapping[str, str]) -> str:
    """The first tag named under ``sites:``; else the first ``site*`` tag; else ''."""
    for tag in tags:
        if tag in sites:
            return tag
    return next((t for t in tags if t.lower().startswith("site")), "")


def label_of(event: CameraEvent, name: str, sites: Mapping[str, str]) -> str:
    """One ``group_by`` (and inhibition ``equal``) field of an event, as text."""
    if name == "license":
        return event.license
    if name == "camera":
        return event.serial
    if name == "status":
        return event.status.value
    if name == "anomaly":
        return ",".join(sorted(event.anomalies)) or event.status.value
    if name == "tag":
        return ",".join(sorted(event.tags))
    if name == "site":
        return site_of(event.tags, sites)
    raise ValueError(f"unknown group_by field {name!r}")


def group_labels(event: CameraEvent, group_by: Sequence[str],
                 sites: Mapping[str, str]) -> dict[str, str]:
    return {name: label_of(event, name, sites) for name in group_by}


def group_key(labels: Mapping[str, str]) -> str:
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()


def flush_at(now: float, timing: Timing, *, last_flush_at: float | None,
             due_at: float) -> float:
    """When a group should flush after an item due at ``due_at`` joined it."""
    if last_flush_at is None or now >= last_flush_at + timing.group_interval:
        base = now + timing.group_wait
    else:
        base = last_flush_at + timing.group_interval
    return max(base, due_at)


def next_after_flush(now: float, timing: Timing, pending_due: float | None) -> float | None:
    """The next flush of a group that still holds items (earliest due at ``pending_due``)."""
    if pending_due is None:
        return None
    return max(pending_due, now + timing.group_interval)
