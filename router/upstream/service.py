"""What enrichment asks of the upstream, answered from the shared cache when it can.

Each question costs at most one API walk, and only when the cache cannot
answer: the license list on a miss; one alerts listing per license (since
the newest alert already seen, within the lookback) that serves every pending
alert of that license at once; the camera directory when its TTL ran out (in
full) or when a camera is unknown (only the newest pages, where new cameras
appear); the reference endpoint per camera, with a TTL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from router.clock import Clock, iso
from router.obs import metrics
from router.upstream.cache import AlertFact, Cache, CameraFact
from router.upstream.client import VisionAlertClient
from router.upstream.models import Camera, parse_timestamp

# Re-list the licenses on a miss at most this often (a code nobody can see stays unseen).
LICENSE_MISS_REFRESH = 60.0
# Polling re-lists the licenses (to see new ones) at most this often.
LICENSE_TTL = 300.0
# Upstream may publish alerts a little out of order: incremental listings overlap.
LISTING_OVERLAP = 60.0


@dataclass(frozen=True)
class Freshness:
    """The timing settings enrichment uses (from ROUTER_* settings)."""

    lookback: float
    retry: float
    directory_ttl: float
    reference_ttl: float


class Upstream:
    def __init__(self, client: VisionAlertClient, cache: Cache, clock: Clock,
                 freshness: Freshness, *, background: VisionAlertClient | None = None) -> None:
        self.client, self.cache, self.clock, self.fresh = client, cache, clock, freshness
        # The state tracker's client: same breaker, a bounded share of the limiter.
        self.background = background or client

    def close(self) -> None:
        self.client.close()
        if self.background is not self.client:
            self.background.close()

    # -- licenses -----------------------------------------------------------------------
    def license_id(self, code: str) -> int | None:
        """The numeric id the API paths need for a webhook's license code."""
        found, fetched = self.cache.license_id(code)
        now = self.clock.now()
        if found is not None or (fetched is not None and now - fetched < LICENSE_MISS_REFRESH):
            metrics.upstream_cache("licenses", hit=True)
            return found
        metrics.upstream_cache("licenses", hit=False)
        licenses = self.client.licenses()
        self.cache.store_licenses(licenses, now)
        return next((lic.id for lic in licenses if lic.code == code), None)

    def licenses(self, max_age: float = LICENSE_TTL, *, background: bool = False
                 ) -> dict[str, int]:
        """Every license the token sees (code -> id), re-listed when older than max_age;
        ``background``: through the state tracker's share of the budget."""
        now = self.clock.now()
        known, fetched = self.cache.all_licenses()
        if fetched is not None and now - fetched < max_age:
            return known
        licenses = (self.background if background else self.client).licenses()
        self.cache.store_licenses(licenses, now)
        return {lic.code: lic.id for lic in licenses}

    # -- alerts -------------------------------------------------------------------------
    def alert_facts(self, license_id: int, serials: Iterable[str], *, received_at: float,
                    until: float) -> dict[str, list[AlertFact]]:
        """Cached upstream alert entries of these cameras, from the lookback before receipt
        to ``until``, newest first (no API call: see listing_stale and refresh_listing)."""
        return self.cache.alert_facts(license_id, serials,
                                      since=received_at - self.fresh.lookback, until=until)

    def listing_stale(self, license_id: int, received_at: float) -> bool:
        """May an alert behind a webhook received at ``received_at`` be missing from the cache?

        Only if the last listing started before the webhook arrived, or longer ago than
        the retry interval: one listing serves every alert received before it.
        """
        listed_at = self.cache.license_state(license_id).listed_at
        fresh_from = max(received_at, self.clock.now() - self.fresh.retry)
        return listed_at is None or listed_at < fresh_from

    def refresh_listing(self, license_id: int) -> None:
        """One walk of the alerts list: since the newest alert seen, within the lookback."""
        started = self.clock.now()
        state = self.cache.license_state(license_id)
        since = started - self.fresh.lookback
        if state.newest_created is not None:
            since = max(since, parse_timestamp(state.newest_created) - LISTING_OVERLAP)
        alerts = [a for page in self.client.alerts(license_id, start=iso(since)) for a in page]
        self.cache.store_listing(license_id, alerts, started_at=started,
                                 prune_before=started - 2 * self.fresh.lookback)

    # -- camera directory ------------------------------------------------------------------
    def cameras(self, license_id: int, serials: Iterable[str]) -> dict[str, CameraFact]:
        """Directory entries (notes, tags, latest_status) of these cameras."""
        wanted = list(serials)
        now = self.clock.now()
        directory_at = self.cache.license_state(license_id).directory_at
        if directory_at is None or now - directory_at > self.fresh.directory_ttl:
            metrics.upstream_cache("cameras", hit=False)
            self._walk_directory(license_id, stop_at=None)
            return self.cache.cameras(license_id, wanted)
        found = self.cache.cameras(license_id, wanted)
        missing = len(found) < len(set(wanted)) and now - directory_at > self.fresh.retry
        metrics.upstream_cache("cameras", hit=not missing)
        if missing:
            self._walk_directory(license_id, stop_at=self.cache.known_serials(license_id))
            found = self.cache.cameras(license_id, wanted)
        return found

    def _walk_directory(self, license_id: int, stop_at: set[str] | None) -> None:
        """Full walk (stop_at None), or newest pages until a known camera shows up."""
        metrics.upstream_cache("cameras", hit=False)
        now = self.clock.now()
        seen: list[Camera] = []
        for page in self.client.cameras(license_id):
            seen += page
            if stop_at is not None and any(c.serial in stop_at for c in page):
                break
        self.cache.store_cameras(license_id, seen, now=now, complete=stop_at is None)

    # -- reference images ---------------------------------------------------------------------
    def reference(self, license_id: int, serial: str) -> str | None:
        """The camera's current reference image URL (None: none set), cached with a TTL."""
        now = self.clock.now()
        cached = self.cache.references(license_id, [serial],
                                       fresh_after=now - self.fresh.reference_ttl)
        metrics.upstream_cache("reference", hit=serial in cached)
        if serial in cached:
            return cached[serial]
        url = self.client.reference(license_id, serial)
        self.cache.store_reference(license_id, serial, url, now)
        return url
