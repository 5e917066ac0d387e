"""Enrich: an alert's cameras become camera events, completed from the VisionAlert API.

The worker calls :func:`enrich_alert`. Without ``ROUTER_VISIONALERT_TOKEN`` the
events carry what the webhook said, ``enriched: false`` with the reason. With
it, each camera is matched to its upstream alert entry (scores, snapshot,
reference image, alert id), its directory entry (notes, tags) and, when
neither the webhook nor the alert has one, its current reference image.

The upstream alert may not be listed yet when the webhook arrives: the result
then asks the worker to try again later, until ``ROUTER_ENRICH_DEADLINE``
seconds after receipt; from then on the alert is routed with what is known
and every camera left without upstream data says why. The same holds while
the API is down, slow or throttling: enrichment never drops an alert and
never holds it past the deadline (plus one bounded round of API calls).

Matching a webhook camera to an upstream alert entry: when the webhook has
``latest_image``, only the entry with the same snapshot (paths compared; the
query is ignored as URLs may be signed); otherwise the newest entry created
at or before receipt (a little later is tolerated for clock skew), within
``ROUTER_ENRICH_LOOKBACK``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from router.model import CameraEvent, Status, canonical_anomaly, parse_label
from router.obs import metrics
from router.pipeline.runtime import Runtime
from router.store.inbox import InboxClaim
from router.upstream import (
    CircuitOpen,
    Upstream,
    UpstreamError,
    UpstreamRejected,
    UpstreamThrottled,
)
from router.upstream.cache import AlertFact, CameraFact
from router.upstream.polled import polled_facts

NOT_CONFIGURED = "VisionAlert API not configured (ROUTER_VISIONALERT_TOKEN unset)"
# Upstream and router clocks may disagree a little about "before receipt".
CLOCK_SKEW = 60.0


@dataclass(frozen=True)
class Enrichment:
    """Camera events to route now, or (``retry_in`` set) a request to try again later."""

    events: list[CameraEvent] = field(default_factory=list)
    retry_in: float | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Policy:
    """When to give up waiting for upstream data (absolute time) and how often to retry."""

    deadline: float
    retry: float
    deadline_seconds: float


@dataclass
class _Found:
    """What the upstream said about an alert's cameras (index-aligned with the payload)."""

    license_id: int | None
    alerts: list[AlertFact | None]
    directory: dict[str, CameraFact] = field(default_factory=dict)
    references: dict[str, str | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def enrich_alert(runtime: Runtime, claim: InboxClaim) -> Enrichment:
    """The worker's entry point: enrich one claimed alert with the runtime's upstream."""
    s = runtime.settings
    if s.visionalert_token is None:
        return Enrichment(camera_events(claim.alert_id, claim.payload))
    policy = Policy(deadline=claim.received_at + s.enrich_deadline,
                    retry=s.enrich_retry_seconds, deadline_seconds=s.enrich_deadline)
    return enrich_with(runtime.upstream, claim, now=runtime.clock.now(), policy=policy)


def enrich_with(upstream: Upstream, claim: InboxClaim, *, now: float,
                policy: Policy) -> Enrichment:
    """Enrich ``claim`` at time ``now``; routes unenriched once ``policy.deadline`` passed."""
    final = now >= policy.deadline
    try:
        found = _lookup_alerts(upstream, claim)
    except UpstreamError as exc:
        if not final and not isinstance(exc, UpstreamRejected):
            return Enrichment(retry_in=_delay(exc, now, policy), reason=str(exc))
        return Enrichment(camera_events(claim.alert_id, claim.payload,
                                        note=f"VisionAlert API unavailable: {exc}"))
    missing = [cam["serial"] for cam, fact in zip(claim.payload["cameras"], found.alerts,
                                                  strict=True) if fact is None]
    if missing and found.license_id is not None and not final:
        return Enrichment(retry_in=max(0.0, min(policy.retry, policy.deadline - now)),
                          reason="upstream alert not listed yet for camera(s) "
                                 + ", ".join(missing))
    if found.license_id is not None:
        _lookup_extras(upstream, claim.payload["cameras"], found)
    return Enrichment(build_events(claim.alert_id, claim.payload, found, policy))


def camera_events(alert_id: int, payload: Mapping[str, Any],
                  note: str = NOT_CONFIGURED) -> list[CameraEvent]:
    """One unenriched camera event per camera of the normalised webhook payload."""
    return [_webhook_event(alert_id, payload["license"], i, cam, note)
            for i, cam in enumerate(payload["cameras"])]


def pick(facts: Sequence[AlertFact], camera: Mapping[str, Any],
         received_at: float) -> AlertFact | None:
    """The upstream entry a webhook camera stands for (``facts``: newest first)."""
    snapshot = camera.get("latest_image")
    if snapshot:
        path = urlsplit(snapshot).path
        return next((f for f in facts if f.snapshot and urlsplit(f.snapshot).path == path),
                    None)
    earlier = [f for f in facts if f.created_ts <= received_at]
    if earlier:
        return earlier[0]
    return facts[-1] if facts else None  # only later ones (skew): the closest


def build_events(alert_id: int, payload: Mapping[str, Any], found: _Found,
                 policy: Policy) -> list[CameraEvent]:
    """Webhook data completed with what was found; the rest says why it was not."""
    code = payload["license"]
    if found.license_id is None:
        missing = f"license {code} is not visible to the configured VisionAlert token"
    else:
        missing = (f"no upstream alert listed for this camera within "
                   f"{policy.deadline_seconds:g}s (ROUTER_ENRICH_DEADLINE)")
    extra_note = "; ".join(found.problems) or None
    events = []
    for i, (cam, fact) in enumerate(zip(payload["cameras"], found.alerts, strict=True)):
        base = _webhook_event(alert_id, code, i, cam, missing)
        events.append(base if fact is None else _enriched(
            base, cam, fact, found.directory.get(cam["serial"]),
            found.references.get(cam["serial"]), extra_note))
    return events


# -- lookups --------------------------------------------------------------------------------
def _lookup_alerts(upstream: Upstream, claim: InboxClaim) -> _Found:
    payload, cameras = claim.payload, claim.payload["cameras"]
    license_id = upstream.license_id(payload["license"])
    if license_id is None:
        return _Found(None, [None] * len(cameras))
    polled = polled_facts(payload)
    if polled is not None:
        return _Found(license_id, _picks(polled, cameras, claim.received_at))
    picks = _picks(_cached(upstream, license_id, claim), cameras, claim.received_at)
    refresh = None in picks and upstream.listing_stale(license_id, claim.received_at)
    metrics.upstream_cache("alerts", hit=not refresh)
    if refresh:
        upstream.refresh_listing(license_id)
        picks = _picks(_cached(upstream, license_id, claim), cameras, claim.received_at)
    return _Found(license_id, picks)


def _cached(upstream: Upstream, license_id: int, claim: InboxClaim) -> dict[str, list[AlertFact]]:
    return upstream.alert_facts(license_id, [c["serial"] for c in claim.payload["cameras"]],
                                received_at=claim.received_at,
                                until=claim.received_at + CLOCK_SKEW)


def _picks(facts: Mapping[str, Sequence[AlertFact]], cameras: Sequence[Mapping[str, Any]],
           received_at: float) -> list[AlertFact | None]:
    return [pick(facts.get(c["serial"], []), c, received_at) for c in cameras]


def _lookup_extras(upstream: Upstream, cameras: Sequence[Mapping[str, Any]],
                   found: _Found) -> None:
    """Directory entries and missing reference images: nice to have, never a reason to wait."""
    assert found.license_id is not None
    matched = [(c, f) for c, f in zip(cameras, found.alerts, strict=True) if f is not None]
    if not matched:
        return
    try:
        found.directory = upstream.cameras(found.license_id, [c["serial"] for c, _ in matched])
    except UpstreamError as exc:
        found.problems.append(f"camera directory unavailable: {exc}")
    for cam, fact in matched:
        if fact.reference_image or cam.get("reference_image"):
            continue
        try:
            found.references[cam["serial"]] = upstream.reference(found.license_id,
                                                                 cam["serial"])
        except UpstreamError as exc:
            found.problems.append(f"reference image unavailable: {exc}")
            break  # the next camera would most likely fail the same way


def _delay(exc: UpstreamError, now: float, policy: Policy) -> float:
    wanted = policy.retry
    if isinstance(exc, CircuitOpen):
        wanted = max(wanted, exc.retry_at - now)
    elif isinstance(exc, UpstreamThrottled):
        wanted = max(wanted, exc.retry_after)
    return max(0.0, min(wanted, policy.deadline - now))


# -- events ---------------------------------------------------------------------------------
def _webhook_event(alert_id: int, license_code: str, index: int, cam: Mapping[str, Any],
                   note: str | None) -> CameraEvent:
    return CameraEvent(
        alert_id=alert_id,
        index=index,
        license=license_code,
        serial=cam["serial"],
        name=cam["name"],
        tags=tuple(cam["tags"]),
        status=Status(cam["status"]),
        label=cam["anomaly"] or "",
        anomalies=dict.fromkeys(cam["anomalies"]),
        snapshot_url=cam.get("latest_image"),
        reference_url=cam.get("reference_image"),
        enriched=False,
        enrichment_note=note,
    )


def _enriched(base: CameraEvent, cam: Mapping[str, Any], fact: AlertFact,
              directory: CameraFact | None, reference: str | None,
              note: str | None) -> CameraEvent:
    label = parse_label(fact.status) if fact.status else None
    anomalies: dict[str, float | None] = {canonical_anomaly(k): v
                                          for k, v in fact.anomalies.items()}
    name = base.name
    if directory is not None and name == base.serial:
        name = directory.name  # the webhook had no name; the directory does
    return replace(
        base,
        name=name,
        tags=base.tags or tuple(directory.tags if directory else ()),
        status=label.status if label else base.status,
        anomalies=anomalies or dict(base.anomalies),
        snapshot_url=fact.snapshot or base.snapshot_url,
        reference_url=fact.reference_image or cam.get("reference_image") or reference,
        upstream_alert_id=fact.upstream_alert_id,
        enriched=True,
        enrichment_note=note,
        notes=directory.notes if directory else None,
    )
