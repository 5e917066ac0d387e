"""An Upstream for the configured account: client, shared limiter, breaker and cache."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from router.clock import Clock
from router.settings import Settings
from router.store.db import Database
from router.upstream.accounts import account_key
from router.upstream.breaker import CircuitBreaker
from router.upstream.cache import Cache
from router.upstream.client import PAGE_SIZE, VisionAlertClient
from router.upstream.ratelimit import BackgroundLimiter, SharedRateLimiter
from router.upstream.service import Freshness, Upstream


def build_upstream(settings: Settings, db: Database, clock: Clock, *,
                   sleep: Callable[[float], None] = time.sleep,
                   transport: httpx.BaseTransport | None = None,
                   page_size: int = PAGE_SIZE) -> Upstream:
    """The client, limiter, breaker and cache for the configured account; the state
    tracker's client shares the breaker and takes its share of the limiter."""
    if settings.visionalert_token is None:
        raise ValueError("ROUTER_VISIONALERT_TOKEN is not set")
    token = settings.visionalert_token.get_secret_value()
    account = account_key(settings.visionalert_url, token)
    limiter = SharedRateLimiter(db, account, rps=settings.visionalert_rps, clock=clock,
                                sleep=sleep)
    breaker = CircuitBreaker(db, account, threshold=settings.visionalert_breaker_failures,
                             cooldown=settings.visionalert_breaker_seconds, clock=clock)
    background = BackgroundLimiter(limiter, share=settings.state_budget, clock=clock,
                                   sleep=sleep)
    client, tracker = (
        VisionAlertClient(settings.visionalert_url, token, limiter=chosen, breaker=breaker,
                          timeout=settings.visionalert_timeout,
                          attempts=settings.visionalert_attempts, sleep=sleep,
                          transport=transport, page_size=page_size)
        for chosen in (limiter, background))
    freshness = Freshness(lookback=settings.enrich_lookback,
                          retry=settings.enrich_retry_seconds,
                          directory_ttl=settings.directory_ttl,
                          reference_ttl=settings.reference_ttl)
    return Upstream(client, Cache(db, account), clock, freshness, background=tracker)
