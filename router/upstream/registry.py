"""One Upstream per Runtime: built on first use from the settings, closed with the runtime."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable

import httpx

from router.clock import Clock
from router.runtime import Runtime
from router.settings import Settings
from router.store.db import Database
from router.upstream.accounts import account_key
from router.upstream.breaker import CircuitBreaker
from router.upstream.cache import Cache
from router.upstream.client import PAGE_SIZE, VisionAlertClient
from router.upstream.ratelimit import SharedRateLimiter
from router.upstream.service import Freshness, Upstream

_lock = threading.Lock()
_by_runtime: dict[int, Upstream] = {}


def build_upstream(settings: Settings, db: Database, clock: Clock, *,
                   sleep: Callable[[float], None] = time.sleep,
                   transport: httpx.BaseTransport | None = None,
                   page_size: int = PAGE_SIZE) -> Upstream:
    """The client, limiter, breaker and cache for the configured account."""
    if settings.visionalert_token is None:
        raise ValueError("ROUTER_VISIONALERT_TOKEN is not set")
    token = settings.visionalert_token.get_secret_value()
    account = account_key(settings.visionalert_url, token)
    limiter = SharedRateLimiter(db, account, rps=settings.visionalert_rps, clock=clock,
                                sleep=sleep)
    breaker = CircuitBreaker(db, account, threshold=settings.visionalert_breaker_failures,
                             cooldown=settings.visionalert_breaker_seconds, clock=clock)
    client = VisionAlertClient(settings.visionalert_url, token, limiter=limiter,
                               breaker=breaker, timeout=settings.visionalert_timeout,
                               attempts=settings.visionalert_attempts, sleep=sleep,
                               transport=transport, page_size=page_size)
    freshness = Freshness(lookback=settings.enrich_lookback,
                          retry=settings.enrich_retry_seconds,
                          directory_ttl=settings.directory_ttl,
                          reference_ttl=settings.reference_ttl)
    return Upstream(client, Cache(db, account), clock, freshness)


def upstream_for(runtime: Runtime) -> Upstream:
    """The runtime's Upstream, built once (the worker and the poller share it)."""
    with _lock:
        found = _by_runtime.get(id(runtime))
        if found is None:
            found = build_upstream(runtime.settings, runtime.db, runtime.clock)
            _attach(runtime, found)
        return found


def use_upstream(runtime: Runtime, upstream: Upstream) -> None:
    """Make ``runtime`` use this Upstream (tests: fake sleep, small pages)."""
    with _lock:
        old = _by_runtime.pop(id(runtime), None)
        if old is not None:
            old.close()
        _attach(runtime, upstream)


def _attach(runtime: Runtime, upstream: Upstream) -> None:
    key = id(runtime)
    _by_runtime[key] = upstream
    # Ids are reused after garbage collection: forget (and close) with the runtime.
    weakref.finalize(runtime, _forget, key, upstream)


def _forget(key: int, upstream: Upstream) -> None:
    with _lock:
        if _by_runtime.get(key) is upstream:
            del _by_runtime[key]
    upstream.close()
