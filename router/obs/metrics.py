"""Prometheus metrics: ``router_`` names, bounded labels, correct under gunicorn.

Every process records through the small functions below. With
``PROMETHEUS_MULTIPROC_DIR`` set (``serve`` creates and empties it and passes it
to its children), each process writes its samples to files there and ``/metrics``
adds them up, so the totals are right whichever gunicorn worker is scraped.
Without it (tests, one process) the values live in this process.

The metric objects are built on first use, not at import: prometheus_client
picks its storage when a metric is built, and a gunicorn worker must build its
own after the fork, once the directory is known.

Label values are names from the rules (receivers, routes) or fixed sets; a
camera serial, a URL or any other per-event value is never a label. Gauges that
describe the shared store (inbox depth, dead letters) are read from it at scrape
time (``web.collectors``), so every replica reports the same value: aggregate them with ``max``.
"""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from router import __version__
from router.model import Decision

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REJECT_REASONS = ("unauthorized", "too_large", "invalid_payload", "unavailable", "server_error",
                  "other")
ATTEMPT_OUTCOMES = ("success", "failure", "timeout", "invalid_target")
DELIVERY_STATES = ("delivered", "pending", "dead")
NOTIFICATION_OUTCOMES = ("created",)
UPSTREAM_ENDPOINTS = ("licenses", "alerts", "reference", "cameras", "logs", "other")
TRACKER_OUTCOMES = ("ok", "error")
RESOLUTIONS = ("tracker", "webhook", "superseded")
_RESOLVE_BUCKETS = (60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400,
                    7 * 86400)
UPSTREAM_OUTCOMES = ("ok", "error")
UNROUTED = "(unrouted)"
OTHER = "(other)"

# Per label, at most this many distinct values are kept; the rest become OTHER,
# so a runaway rules file cannot blow up the series count.
MAX_NAMES = 200
_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


@dataclass(frozen=True)
class _Metrics:
    webhooks_received: Counter
    webhooks_rejected: Counter
    webhooks_duplicate: Counter
    camera_events: Counter
    notifications: Counter
    delivery_attempts: Counter
    deliveries: Counter
    delivery_duration: Histogram
    upstream_requests: Counter
    upstream_errors: Counter
    upstream_cache_hits: Counter
    upstream_cache_misses: Counter
    tracker_rounds: Counter
    tracker_requests: Counter
    incidents_opened: Counter
    incidents_resolved: Counter
    incident_duration: Histogram


_lock = threading.Lock()
_registry: CollectorRegistry | None = None
_metrics: _Metrics | None = None
_names: dict[str, set[str]] = {}


def _build(registry: CollectorRegistry) -> _Metrics:
    def counter(name: str, doc: str, labels: tuple[str, ...] = ()) -> Counter:
        return Counter(name, doc, labels, registry=registry)

    return _Metrics(
        webhooks_received=counter("router_webhooks_received", "Webhook requests received."),
        webhooks_rejected=counter("router_webhooks_rejected",
                                  "Webhook requests refused, by reason.", ("reason",)),
        webhooks_duplicate=counter("router_webhooks_duplicate",
                                   "Webhooks recognised as a recent duplicate."),
        camera_events=counter("router_camera_events",
                              "Camera events routed, by route (unrouted included).", ("route",)),
        notifications=counter("router_notifications",
                              "Notifications, by receiver and outcome.", ("receiver", "outcome")),
        delivery_attempts=counter("router_delivery_attempts",
                                  "Delivery attempts, by receiver and outcome.",
                                  ("receiver", "outcome")),
        deliveries=counter("router_deliveries",
                           "Delivery decisions after an attempt (delivered, pending = retry "
                           "later, dead = dead letter), by receiver.", ("receiver", "state")),
        delivery_duration=Histogram("router_delivery_duration_seconds",
                                    "Time of one delivery attempt, by receiver.", ("receiver",),
                                    buckets=_LATENCY_BUCKETS, registry=registry),
        upstream_requests=counter("router_upstream_requests",
                                  "VisionAlert API requests, by endpoint and outcome.",
                                  ("endpoint", "outcome")),
        upstream_errors=counter("router_upstream_errors",
                                "VisionAlert API errors, by endpoint and reason.",
                                ("endpoint", "reason")),
        upstream_cache_hits=counter("router_upstream_cache_hits",
                                    "Enrichment cache hits, by endpoint.", ("endpoint",)),
        upstream_cache_misses=counter("router_upstream_cache_misses",
                                      "Enrichment cache misses, by endpoint.", ("endpoint",)),
        tracker_rounds=counter("router_tracker_rounds",
                               "State tracker rounds over one license's logs, by outcome.",
                               ("outcome",)),
        tracker_requests=counter("router_tracker_requests",
                                 "VisionAlert API requests (log pages) of the state tracker."),
        incidents_opened=counter("router_incidents_opened", "Incidents opened."),
        incidents_resolved=counter("router_incidents_resolved",
                                   "Incidents resolved, by how (tracker, webhook, superseded).",
                                   ("how",)),
        incident_duration=Histogram("router_incident_resolve_seconds",
                                    "Time from an incident's opening to its resolution.",
                                    buckets=_RESOLVE_BUCKETS, registry=registry),
    )


def _m() -> _Metrics:
    global _registry, _metrics
    if _metrics is None:
        with _lock:
            if _metrics is None:
                # Chosen now, not at import: see the module docstring.
                values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
                _registry = CollectorRegistry(auto_describe=True)
                _metrics = _build(_registry)
                _precreate_fixed(_metrics)
    return _metrics


def _precreate_fixed(m: _Metrics) -> None:
    m.webhooks_received.inc(0)
    m.webhooks_duplicate.inc(0)
    m.tracker_requests.inc(0)
    m.incidents_opened.inc(0)
    for outcome in TRACKER_OUTCOMES:
        m.tracker_rounds.labels(outcome)
    for how in RESOLUTIONS:
        m.incidents_resolved.labels(how)
    for reason in REJECT_REASONS:
        m.webhooks_rejected.labels(reason)
    for endpoint in UPSTREAM_ENDPOINTS:
        m.upstream_cache_hits.labels(endpoint)
        m.upstream_cache_misses.labels(endpoint)
        for outcome in UPSTREAM_OUTCOMES:
            m.upstream_requests.labels(endpoint, outcome)


def _name(kind: str, value: str | None, fallback: str = OTHER) -> str:
    """A rules name as a label value, bounded in length and in count."""
    if not value:
        return fallback
    value = value[:100]
    with _lock:
        seen = _names.setdefault(kind, set())
        if value not in seen:
            if len(seen) >= MAX_NAMES:
                return OTHER
            seen.add(value)
    return value


def _upstream_endpoint(path: str) -> str:
    """A fixed name for an API path: paths hold license ids and serials."""
    parts = path.lower().split("/")
    # Most specific first: /licenses/<id>/cameras/<serial>/reference/
    return next((name for name in ("reference", "cameras", "alerts", "licenses")
                 if name in parts), "other")


def _one_of(value: str, allowed: tuple[str, ...]) -> str:
    if value in allowed:
        return value
    return "other" if "other" in allowed else OTHER


# -- recording (one-line calls from the pipeline) ------------------------------------


def webhook_received() -> None:
    _m().webhooks_received.inc()


def webhook_rejected(reason: str) -> None:
    _m().webhooks_rejected.labels(_one_of(reason, REJECT_REASONS)).inc()


def webhook_duplicate() -> None:
    _m().webhooks_duplicate.inc()


def camera_events_routed(route: str | None, count: int = 1) -> None:
    _m().camera_events.labels(_name("route", route, UNROUTED)).inc(count)


def notification(receiver: str, outcome: str = "created") -> None:
    _m().notifications.labels(_name("receiver", receiver), outcome).inc()


def delivery_attempt(receiver: str, outcome: str, elapsed: float, state: str) -> None:
    """One attempt: its outcome, its duration, and what the delivery became."""
    m, name = _m(), _name("receiver", receiver)
    m.delivery_attempts.labels(name, _one_of(outcome, ATTEMPT_OUTCOMES)).inc()
    m.delivery_duration.labels(name).observe(max(elapsed, 0.0))
    m.deliveries.labels(name, _one_of(state, DELIVERY_STATES)).inc()


def upstream_request(endpoint: str, ok: bool, reason: str | None = None) -> None:
    """One VisionAlert API call (``endpoint`` a name or the URL path); ``reason`` if it failed."""
    m, ep = _m(), _upstream_endpoint(endpoint)
    m.upstream_requests.labels(ep, "ok" if ok else "error").inc()
    if not ok:
        m.upstream_errors.labels(ep, _name("upstream_reason", reason, "error")).inc()


def upstream_cache(endpoint: str, hit: bool) -> None:
    m, ep = _m(), _upstream_endpoint(endpoint)
    (m.upstream_cache_hits if hit else m.upstream_cache_misses).labels(ep).inc()


def tracker_round(outcome: str) -> None:
    _m().tracker_rounds.labels(_one_of(outcome, TRACKER_OUTCOMES)).inc()


def tracker_request() -> None:
    _m().tracker_requests.inc()


def incidents_opened(count: int) -> None:
    if count:
        _m().incidents_opened.inc(count)


def incidents_resolved(how: str, count: int = 1, durations: Iterable[float] = ()) -> None:
    m = _m()
    if count:
        m.incidents_resolved.labels(_one_of(how, RESOLUTIONS)).inc(count)
    for seconds in durations:
        m.incident_duration.observe(max(seconds, 0.0))


def precreate(receivers: Iterable[str], routes: Iterable[str | None]) -> None:
    """Create the series of every receiver and route at zero, so rates start at once."""
    m = _m()
    for receiver in receivers:
        name = _name("receiver", receiver)
        m.delivery_duration.labels(name)
        for outcome in NOTIFICATION_OUTCOMES:
            m.notifications.labels(name, outcome)
        for outcome in ATTEMPT_OUTCOMES:
            m.delivery_attempts.labels(name, outcome)
        for state in DELIVERY_STATES:
            m.deliveries.labels(name, state)
    for route in [*routes, None]:
        m.camera_events.labels(_name("route", route, UNROUTED))


def routed(decisions: Iterable[Decision], receivers: Iterable[str]) -> None:
    """An alert was routed: its camera events by route, its notifications by receiver."""
    seen = {(d.event_index, d.route) for d in decisions}
    for _event, route in seen:
        camera_events_routed(route)
    for receiver in receivers:
        notification(receiver)


# -- exposition ----------------------------------------------------------------------


def multiproc_dir() -> Path | None:
    value = os.environ.get(MULTIPROC_ENV)
    return Path(value) if value else None


def render(extra: Iterable[Collector] = ()) -> bytes:
    """The text exposition: every process's samples (or this one's), plus ``extra``."""
    _m()
    assert _registry is not None
    registry = CollectorRegistry(auto_describe=False)
    if multiproc_dir() is not None:
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Forward(_registry))
    registry.register(_BuildInfo())
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry)


class _Forward(Collector):
    """This process's own registry, inside the scrape registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Any]:
        yield from self._registry.collect()


class _BuildInfo(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        info = GaugeMetricFamily("router_build_info", "Version of the running router.",
                                 labels=["version", "python"])
        info.add_metric([__version__, platform.python_version()], 1)
        yield info


# -- process management (serve) ------------------------------------------------------


def prepare_multiproc_dir(path: str | None) -> tuple[Path, bool]:
    """Create (or empty) the shared metrics folder; True if it is a temporary one.

    Old files would add a previous run's counts to this one's. Only the
    library's own ``*.db`` files are removed, in case the folder is shared.
    """
    created = not path
    folder = Path(path) if path else Path(tempfile.mkdtemp(prefix="router-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink(missing_ok=True)
    return folder, created


def remove_multiproc_dir(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def mark_dead(pid: int) -> None:
    """A process has exited: drop its live gauges (its counters stay in the totals)."""
    if multiproc_dir() is not None:
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]

