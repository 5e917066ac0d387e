"""Group stage: which group a camera event joins, with which timing.

The timing itself (``group_wait``, ``group_interval``, when a group flushes next)
is the value type ``router.model.timing.Timing``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

from router.model import CameraEvent
from router.model.timing import Timing
from router.rules import RouteOptions


def timing_of(options: RouteOptions) -> Timing:
    """A route's options -> the timing its groups are flushed with."""
    return Timing(options.group_wait, options.group_interval, options.repeat_interval,
                  options.send_resolved, options.hold_for, options.send_acknowledged)


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
