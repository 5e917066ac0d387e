"""Explain: what the rules in force would do with a webhook, without sending anything.

For every camera: each route tried (why it matched, or the first matcher that
failed), the receivers reached with their targets in Apprise's privacy form,
the route options, the rendered title and body per receiver (generic family),
and per target the message that target would receive (``messages``): its
channel family and that family's rendering, made by the same template choice
and render call as the worker (``chosen_template``, ``render_for_target``), as
the first notification about the camera. Signed action links are not made (they
would work): messages show the plain alert page link instead.

Enrichment (optional) is a mapping serial -> fields laid over the camera event
built from the webhook, as the VisionAlert API would: ``anomalies`` (type ->
score), ``snapshot_url``, ``reference_url``, ``enriched`` (default true when an
entry is given), ``notes``, ``status``, ``tags``, ``name``, ``upstream_alert_id``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, StrictStr, ValidationError

from router.channels.families import Family, family_of
from router.channels.preview import preview
from router.channels.render import (
    RenderError,
    chosen_template,
    render_family,
    render_for_target,
    template_text,
)
from router.clock import parse_datetime
from router.errors import ExplainError, TimeInputError
from router.model import CameraEvent, Status, canonical_anomaly, parse_label
from router.model.reasons import Reason
from router.pipeline.deliver import privacy_url
from router.pipeline.enrich import camera_events
from router.rules.models import Receiver, RouteOptions, Rules
from router.rules.routing import RouteMatch, route_event
from router.rules.templates import TemplateText
from router.upstream.payload import parse_payload


class _Enrichment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    anomalies: dict[str, float | None] | list[StrictStr] | None = None
    snapshot_url: StrictStr | None = None
    reference_url: StrictStr | None = None
    enriched: StrictBool = True
    notes: StrictStr | None = None
    enrichment_note: StrictStr | None = None
    status: StrictStr | None = None
    tags: list[StrictStr] | None = None
    name: StrictStr | None = None
    upstream_alert_id: StrictInt | None = None


def build_events(payload: Any, enrichment: Mapping[str, Any] | None = None
                 ) -> list[CameraEvent]:
    """Camera events as the worker would build them, with optional enrichment laid over."""
    parsed = parse_payload(payload)  # PayloadError names the field
    events = camera_events(0, parsed.normalised)
    if not enrichment:
        return events
    if not isinstance(enrichment, Mapping):
        raise ExplainError("enrichment must be a mapping: camera serial -> fields")
    serials = {e.serial for e in events}
    for serial in enrichment:
        if serial not in serials:
            raise ExplainError(f"enrichment[{serial!r}]: no camera with this serial in the "
                               f"payload (cameras: {', '.join(sorted(serials))})")
    return [_enrich(e, enrichment[e.serial]) if e.serial in enrichment else e for e in events]


def _enrich(event: CameraEvent, fields: Any) -> CameraEvent:
    try:
        spec = _Enrichment.model_validate(fields)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ExplainError(f"enrichment[{event.serial!r}].{where}: {err['msg']}") from None
    changes: dict[str, Any] = {k: v for k, v in spec.model_dump(exclude_unset=True).items()
                               if k not in ("anomalies", "status", "tags")}
    changes["enriched"] = spec.enriched
    if spec.anomalies is not None:
        scores = spec.anomalies if isinstance(spec.anomalies, dict) else \
            dict.fromkeys(spec.anomalies)
        changes["anomalies"] = {canonical_anomaly(k): v for k, v in scores.items()}
    if spec.status is not None:
        changes["status"] = parse_label(spec.status).status
    if spec.tags is not None:
        changes["tags"] = tuple(spec.tags)
    if changes.get("anomalies") and "status" not in changes:
        changes["status"] = Status.ANOMALY
    return dataclasses.replace(event, **changes)


def parse_at(value: Any) -> datetime:
    """ISO 8601 (``2024-03-31T01:30:00Z``; no zone means UTC) or epoch seconds, also
    as text (a CLI flag or a form field)."""
    if isinstance(value, str) and value.strip().replace(".", "", 1).isdigit():
        value = float(value)
    try:
        return parse_datetime(value, name="at")
    except TimeInputError as exc:
        raise ExplainError(str(exc)) from None


def effective_template(receiver: Receiver, options: RouteOptions, family: Family = "generic"
                       ) -> TemplateText:
    """The texts a receiver renders on a route for ``family``, as the worker chooses them."""
    return template_text(chosen_template(receiver, options), family)


def explain(rules: Rules, events: Sequence[CameraEvent], now: datetime,
            external_url: str | None = None) -> dict[str, Any]:
    """The JSON-ready explanation of routing ``events`` at ``now``."""
    return {
        "rules": {"source": str(rules.source), "digest": rules.digest},
        "at": now.isoformat(),
        "cameras": [_camera(rules, e, now, external_url) for e in events],
    }


def _camera(rules: Rules, event: CameraEvent, now: datetime,
            external_url: str | None) -> dict[str, Any]:
    decision = route_event(rules, event, now, trace=True)
    return {
        "serial": event.serial,
        "name": event.name,
        "tags": list(event.tags),
        "status": event.status.value,
        "anomalies": dict(event.anomalies),
        "enriched": event.enriched,
        "routes": [{"route": s.route, "matched": s.matched, "reason": s.reason}
                   for s in decision.steps],
        "receivers": [_receiver(rules, m, event, now, external_url) for m in decision.matches],
    }


# The worker's reason for the first message about a camera (one camera sent).
FIRST_REASON = f"{Reason.FIRST.text} 1"


def _receiver(rules: Rules, match: RouteMatch, event: CameraEvent, now: datetime,
              external_url: str | None) -> dict[str, Any]:
    receiver = rules.receivers[match.receiver]
    text = effective_template(receiver, match.options)
    out: dict[str, Any] = {
        "route": match.route,
        "receiver": match.receiver,
        "targets": [privacy_url(url) for url in receiver.urls],
        "options": _options(match.options),
    }
    try:
        rendered = render_family("generic", "", [event], text, receiver=receiver.name,
                                 route=match.route, external_url=external_url,
                                 timezone=match.options.timezone, at=now.timestamp(),
                                 now=now.timestamp())
    except (RenderError, OSError) as exc:
        out["render_error"] = str(exc)
    else:
        out["title"], out["body"] = rendered.title, rendered.body
    out["messages"] = [_message(url, receiver, match, event, now, external_url)
                       for url in receiver.urls]
    return out


def _message(url: str, receiver: Receiver, match: RouteMatch, event: CameraEvent,
             now: datetime, external_url: str | None) -> dict[str, Any]:
    """What one target receives: the worker's render call for a first notification."""
    out: dict[str, Any] = {"target": privacy_url(url), "family": family_of(url)}
    try:
        rendered = render_for_target(
            url, [event], receiver=receiver.name, route=match.route,
            template=chosen_template(receiver, match.options), kind="firing",
            reason=FIRST_REASON, external_url=external_url, timezone=match.options.timezone,
            at=now.timestamp(), now=now.timestamp())
    except (RenderError, OSError) as exc:
        out["render_error"] = str(exc)
        return out
    return out | preview(url, rendered)


def _options(options: RouteOptions) -> dict[str, Any]:
    found = dataclasses.asdict(options)
    found["group_by"] = list(options.group_by)
    found["template"] = options.template.name if options.template else None
    return found
