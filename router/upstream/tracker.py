"""The camera state tracker: what every camera is doing now, from the license logs.

VisionAlert never posts "back to normal" and never repeats a problem by itself;
only its API knows. Every ``ROUTER_STATE_INTERVAL`` seconds the replica holding
the ``tracker`` lease (renewed at every page) reads each license's logs since its cursor
(``GET {license}/logs/?start=...``, newest first, following ``next``), starting
``OVERLAP`` seconds before the newest log read last so a log published late or
split over a page boundary is not missed, and records the newest log of every
camera (``store.tracked``: applied by log id, so the overlap changes nothing).
A normal log newer than a camera's last problem ends its incident: held events
are dropped, resolved messages are queued.

Budget: the tracker's requests go through the shared limiter and breaker, but
through ``BackgroundLimiter``: at most ``ROUTER_STATE_BUDGET`` (default half) of
``ROUTER_VISIONALERT_RPS``, and only a slot no enrichment request is waiting for.
A license of 5,000 cameras logging every 15 minutes writes 5.6 logs/s; a 60 s round
reads the interval, its own duration and the overlap: 4-8 pages of 200, about 8% of
a 1 rps budget (``tests/bench/state.py``).

When the tracker is off or a round fails, nothing else changes: messages say
the state is stale, and nothing is resolved on a guess.
"""

from __future__ import annotations

import logging
import os
import socket
import threading

from router.clock import iso
from router.errors import LeaseLost
from router.model.cameras import CameraLog
from router.obs import metrics
from router.settings import Settings
from router.store import leases, tracked
from router.upstream.errors import UpstreamError
from router.upstream.models import Log, parse_timestamp
from router.upstream.poller import Parts
from router.upstream.service import Upstream

log = logging.getLogger(__name__)

LEASE = "tracker"
LEASE_FLOOR = 10.0
# Logs may be published a little out of order: every round re-reads this much.
OVERLAP = 60.0
# VisionAlert logs a camera at most every 15 minutes: the first round reads one cadence.
CADENCE = 900.0


def stale_after(settings: Settings) -> float | None:
    """How old a license's last round may be and still speak for its cameras."""
    return 3 * settings.state_interval + OVERLAP if settings.state_interval else None


class Tracker:
    def __init__(self, runtime: Parts, upstream: Upstream | None = None,
                 owner: str | None = None) -> None:
        self.rt = runtime
        self.upstream = upstream or runtime.upstream
        self.account = self.upstream.cache.account
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:tracker"
        self.interval = runtime.settings.state_interval

    def run(self, stop: threading.Event) -> None:
        log.info("state tracker started", extra={"interval": self.interval})
        while not stop.is_set():
            started = self.rt.clock.now()
            self.step()
            # Rounds start every interval (a slow round is followed at once, not later).
            stop.wait(max(1.0, self.interval - (self.rt.clock.now() - started)))
        leases.release(self.rt.db, LEASE, owner=self.owner)

    def holds_lease(self) -> bool:
        """Take or renew the lease. It is renewed at every page read, so a long first
        round keeps it, and a dead holder is replaced after ``LEASE_FLOOR`` seconds."""
        ttl = max(3 * self.interval, LEASE_FLOOR)
        return leases.acquire(self.rt.db, LEASE, owner=self.owner, now=self.rt.clock.now(),
                              ttl=ttl)

    def step(self) -> int:
        """One round if this replica holds the lease; the number of incidents resolved."""
        if not self.holds_lease():
            return 0
        try:
            licenses = self.upstream.licenses(background=True)
        except UpstreamError as exc:
            log.warning("state tracker cannot list licenses; next round retries",
                        extra={"error": str(exc)})
            metrics.tracker_round("error")
            return 0
        resolved = 0
        try:
            for code, license_id in sorted(licenses.items()):
                resolved += self._round(code, license_id)
        except LeaseLost:
            log.warning("state tracker lease lost mid-round; the new holder reads on")
        return resolved

    def _round(self, code: str, license_id: int) -> int:
        db, now = self.rt.db, self.rt.clock.now()
        cursor = tracked.cursor(db, self.account, license_id)
        since = (parse_timestamp(cursor) - OVERLAP) if cursor else now - CADENCE - self.interval
        try:
            logs = self._read(license_id, since)
        except UpstreamError as exc:
            log.warning("state tracker round failed; cameras of this license are stale",
                        extra={"license": code, "error": str(exc)})
            tracked.record_failure(db, account=self.account, license_id=license_id,
                                   license=code, error=str(exc), now=self.rt.clock.now())
            metrics.tracker_round("error")
            return 0
        newest = max(logs, key=lambda g: (g.created_ts, g.id)).created if logs else cursor
        # Tags from the cached directory only: no request of its own.
        tags = {s: tuple(f.tags) for s, f in self.upstream.cache.cameras(
            license_id, {g.camera_serial for g in logs}).items()}
        result = tracked.record_round(
            db, account=self.account, license_id=license_id, license=code,
            logs=[_camera_log(code, g, tags.get(g.camera_serial, ())) for g in logs],
            newest=newest, now=self.rt.clock.now())
        metrics.tracker_round("ok")
        metrics.incidents_resolved("tracker", len(result.resolved), result.resolved_after)
        if result.resolved or result.applied:
            log.info("camera states read", extra={
                "license": code, "logs": len(logs), "applied": result.applied,
                "resolved": len(result.resolved), "held_down": result.held_down,
                "resolved_messages": result.resolved_messages})
        return len(result.resolved)

    def _read(self, license_id: int, since: float) -> list[Log]:
        found: list[Log] = []
        for page in self.upstream.background.logs(license_id, start=iso(since)):
            metrics.tracker_request()
            found += page
            if not self.holds_lease():
                raise LeaseLost("the tracker lease was taken over during a round")
        return found


def _camera_log(code: str, g: Log, tags: tuple[str, ...]) -> CameraLog:
    return CameraLog(license=code, serial=g.camera_serial, id=g.id, created=g.created_ts,
                     status=g.status, anomalies=dict(g.anomalies), snapshot=g.snapshot,
                     name=g.camera_name, tags=tags)


def start_tracker(runtime: Parts, stop: threading.Event) -> threading.Thread | None:
    """Start the tracker on a thread when ROUTER_STATE_INTERVAL > 0 and a token is set."""
    s = runtime.settings
    if not s.state_interval or s.visionalert_token is None:
        return None
    thread = threading.Thread(target=Tracker(runtime).run, args=(stop,), name="tracker",
                              daemon=True)
    thread.start()
    return thread
