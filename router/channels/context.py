"""The template context: what every template (default or custom) can use.

``events``      every camera event of the notification (``CameraEvent.to_dict()``),
                each with ``kinds`` (list), ``summary`` (``Obstruction 87%``),
                ``links`` (``snapshot``, ``reference``, ``alert``: the router's page,
                signed to open without a login when a link key is configured, and
                ``silence``: a signed "silence this camera 24 h" link, or None) and ``cid``
                (e-mail inline image names by role, for the first cameras only)
``event``       the first of them
``group``       ``count``, ``shown`` (the events listed, at most ``limit``),
                ``more`` (how many are not listed), ``limit``, ``by_kind`` and
                ``by_tag`` (``[[name, n], ...]``, most frequent first), ``licenses``
``links.all``   the signed page listing every camera of this notification (group
                messages; falls back to ``links.alert``)
``count``       number of events; ``license``: the license code(s), joined with ", "
``alert``       ``id``, ``ids`` (every alert id), ``upstream_id``, ``url`` (router page)
``kind``        "firing", "resolved" or "acknowledged" (someone took the incident;
                ``reason`` says who); ``resolved`` / ``acknowledged``: kind is that
``receiver``, ``route``  their names; ``reason``: why it was sent (or None)
``links``       ``alert`` (the router's page, when ROUTER_EXTERNAL_URL is set),
                ``snapshot`` and ``reference`` of the first event, ``router``
``external_url`` the router's public URL, or None
``at``          epoch seconds the message is about; ``now``: epoch seconds of rendering
``time``        ``at`` in the route's timezone (``2026-04-10 14:30 CEST``)
``timezone``    the route's IANA timezone name, or "UTC"
``family``      the channel family being rendered
``tally``       ``new``, ``still_open`` (reminders) and ``resolved`` cameras of this
                flush of the group (zeros when rendered outside a flush)

Each event also has ``incident`` (None when the router has none for the camera):
``id``, ``state``, ``since`` (``Tue 14:05``), ``duration`` (``2 d 4 h``), ``checked``
(``last checked 3 min ago``), ``stale``, ``api_shown`` (``Blur 0.91``), ``acked_by``;
and ``links.ack``: a signed "acknowledge" link, or None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from router.channels.message import Image
from router.channels.sandbox import counted, kinds, summary
from router.errors import RenderError
from router.model import CameraEvent
from router.model.groups import CameraKey
from router.model.incidents import IncidentFacts

# Signed per-camera action links ("open", "silence_24h", "ack"), made by
# router.channels.links.ActionLinks.
ActionLinkMaker = Callable[[CameraEvent], Mapping[str, str]]


@dataclass(frozen=True)
class Lifecycle:
    """What a flush knows of the cameras' incidents, for the message."""

    incidents: Mapping[CameraKey, IncidentFacts] = field(default_factory=dict)
    new: int = 0
    still_open: int = 0
    resolved: int = 0
    cameras_link: str | None = None  # signed page of every camera of this notification

# Cameras whose snapshot and reference go with a message as images.
IMAGE_CAMERAS = 3
KINDS = ("firing", "resolved", "acknowledged")
TIME_FORMAT = "%Y-%m-%d %H:%M %Z"


def alert_page(external_url: str | None, alert_id: int) -> str | None:
    """The router's page for an alert: ``{external_url}/alerts/{id}``."""
    return f"{external_url.rstrip('/')}/alerts/{alert_id}" if external_url else None


def _zone(timezone: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise RenderError(f"unknown timezone {timezone!r}: use an IANA name "
                          "such as Europe/Berlin") from e


def _event(event: CameraEvent, position: int, external_url: str | None,
           actions: ActionLinkMaker | None, lifecycle: Lifecycle, now: float,
           zone: ZoneInfo) -> dict[str, Any]:
    d = event.to_dict()
    d["kinds"] = kinds(d)
    d["summary"] = summary(d)
    # Signed links open the alert without a login and silence this one camera; a
    # plain page link (login needed) when no link key is configured.
    signed = actions(event) if actions is not None else {}
    d["links"] = {"snapshot": event.snapshot_url, "reference": event.reference_url,
                  "alert": signed.get("open") or alert_page(external_url, event.alert_id),
                  "silence": signed.get("silence_24h"), "ack": signed.get("ack")}
    facts = lifecycle.incidents.get((event.license, event.serial))
    d["incident"] = facts.for_template(now, zone) if facts is not None else None
    d["cid"] = {}
    if position < IMAGE_CAMERAS:
        for role, url in (("snapshot", event.snapshot_url), ("reference", event.reference_url)):
            if url:
                d["cid"][role] = f"{role}-{position + 1}"
    return d


def images_of(events: Sequence[dict[str, Any]]) -> tuple[Image, ...]:
    """The images that go with the message: those of the first cameras, with their cid."""
    return tuple(Image(role=role, url=e["links"][role], camera=e["name"], cid=cid)
                 for e in events[:IMAGE_CAMERAS] for role, cid in e["cid"].items())


def build(events: Sequence[CameraEvent], *, family: str, receiver: str, route: str,
          kind: str, reason: str | None, external_url: str | None, timezone: str | None,
          at: float, now: float, limit: int,
          actions: ActionLinkMaker | None = None,
          lifecycle: Lifecycle | None = None) -> dict[str, Any]:
    """The documented context (module docstring) for one message."""
    if not events:
        raise RenderError("nothing to render: the notification has no camera events")
    if kind not in KINDS:
        raise RenderError(f"unknown message kind {kind!r}: expected one of {', '.join(KINDS)}")
    zone = _zone(timezone)
    cycle = lifecycle or Lifecycle()
    dicts = [_event(e, i, external_url, actions, cycle, now, zone)
             for i, e in enumerate(events)]
    first = events[0]
    licenses = list(dict.fromkeys(e.license for e in events))
    page = dicts[0]["links"]["alert"]
    group = {
        "count": len(dicts), "limit": limit, "shown": dicts[:limit],
        "more": max(len(dicts) - limit, 0), "licenses": licenses,
        "by_kind": counted([k[:1].upper() + k[1:] for d in dicts for k in d["kinds"]]),
        "by_tag": counted([t for e in events for t in dict.fromkeys(e.tags)]),
    }
    return {
        "events": dicts, "event": dicts[0], "group": group, "count": len(dicts),
        "license": ", ".join(licenses),
        "alert": {"id": first.alert_id, "ids": list(dict.fromkeys(e.alert_id for e in events)),
                  "upstream_id": first.upstream_alert_id, "url": page},
        "kind": kind, "resolved": kind == "resolved", "acknowledged": kind == "acknowledged",
        "receiver": receiver, "route": route,
        "reason": reason, "external_url": external_url,
        "links": {"alert": page, "snapshot": first.snapshot_url,
                  "reference": first.reference_url, "router": external_url,
                  "all": cycle.cameras_link or page},
        "at": at, "now": now, "timezone": zone.key,
        "time": datetime.fromtimestamp(at, tz=UTC).astimezone(zone).strftime(TIME_FORMAT),
        "family": family,
        "tally": {"new": cycle.new, "still_open": cycle.still_open, "resolved": cycle.resolved},
    }
