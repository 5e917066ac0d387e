"""Upstream state kept in the store, on SQLite and PostgreSQL: the shared rate limiter,
the breaker's shared count, the enrichment cache and the generic leases."""

from __future__ import annotations

import itertools
import threading

import pytest

from router.clock import ManualClock, SystemClock
from router.store import leases
from router.store.db import Database
from router.upstream.breaker import CircuitBreaker
from router.upstream.cache import Cache
from router.upstream.errors import CircuitOpen, UpstreamThrottled
from router.upstream.models import Alert
from router.upstream.ratelimit import SLACK, SharedRateLimiter
from tests.simulator.wiring import FakeSleep

INTERVAL = 1.0 * (1 + SLACK)


def _limiter(db: Database, clock: ManualClock, **kw: float) -> SharedRateLimiter:
    return SharedRateLimiter(db, "acct", rps=1.0, clock=clock, sleep=FakeSleep(clock), **kw)


def test_slots_are_spaced_and_shared_by_every_limiter_of_the_account(store: Database) -> None:
    clock = ManualClock()
    a, b = _limiter(store, clock), _limiter(store, ManualClock(clock.now()))
    t0 = clock.now()
    slots = [a.acquire(), b.acquire(), a.acquire()]
    assert slots == pytest.approx([t0, t0 + INTERVAL, t0 + 2 * INTERVAL])
    other = SharedRateLimiter(store, "other-acct", rps=1.0, clock=clock,
                              sleep=FakeSleep(clock))
    assert other.acquire() == clock.now()  # another account has its own budget


def test_next_slot_waits_for_the_previous_answer(store: Database) -> None:
    clock = ManualClock()
    limiter = _limiter(store, clock)
    first = limiter.acquire()
    clock.advance(5.0)  # a slow answer
    limiter.finished()
    assert limiter.acquire() == pytest.approx(first + 5.0 + 1.0)


def test_booked_up_limiter_refuses_instead_of_blocking(store: Database) -> None:
    clock = ManualClock()
    limiter = _limiter(store, clock, max_wait=2.5)
    limiter.block(60)
    with pytest.raises(UpstreamThrottled, match="booked up for 60s") as caught:
        limiter.acquire()
    assert caught.value.retry_after == pytest.approx(60)
    clock.advance(60)
    assert limiter.acquire() == clock.now()


def test_concurrent_limiters_never_share_a_slot(store: Database) -> None:
    """Four threads, each with its own engine (as separate processes would have)."""
    def reserve(out: list[float]) -> None:
        db = Database(store.url)
        limiter = SharedRateLimiter(db, "acct", rps=20.0, clock=SystemClock(),
                                    sleep=lambda s: None, max_wait=3600)
        out.extend(limiter.acquire() for _ in range(15))
        db.dispose()

    results: list[list[float]] = [[] for _ in range(4)]
    threads = [threading.Thread(target=reserve, args=(r,)) for r in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    slots = sorted(s for r in results for s in r)
    assert len(slots) == 60
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert min(gaps) >= (1 / 20.0) * (1 + SLACK) - 1e-6


def test_breaker_count_is_shared(store: Database) -> None:
    clock = ManualClock()
    one = CircuitBreaker(store, "acct", threshold=3, cooldown=10, clock=clock)
    two = CircuitBreaker(store, "acct", threshold=3, cooldown=10, clock=clock)
    one.failure("503")
    two.failure("503")
    one.success()  # a success anywhere resets the count
    for breaker in (one, two, one):
        breaker.failure("timeout")
    with pytest.raises(CircuitOpen, match="3 failures in a row"):
        two.check()
    clock.advance(10)
    one.check()  # one caller gets the trial...
    with pytest.raises(CircuitOpen):
        two.check()  # ...the others keep failing fast meanwhile


def _alert(alert_id: int, created: str, serial: str, snapshot: str) -> Alert:
    return Alert.model_validate({"id": alert_id, "created": created, "cameras": [
        {"serial": serial, "status": "Anomaly", "anomalies": {"Blur": 0.5},
         "snapshot": snapshot}]})


def test_listing_merge_keeps_newest_and_prunes_old(store: Database) -> None:
    cache = Cache(store, "acct")
    cache.store_listing(5, [_alert(2, "2026-04-10T12:00:00Z", "S1", "s2"),
                            _alert(1, "2026-04-10T11:00:00Z", "S1", "s1")],
                        started_at=100.0, prune_before=0.0)
    cache.store_listing(5, [_alert(2, "2026-04-10T12:00:00Z", "S1", "s2")],  # overlap
                        started_at=50.0, prune_before=0.0)
    state = cache.license_state(5)
    assert state.listed_at == 100.0  # an older (slower) listing never rolls it back
    assert state.newest_created == "2026-04-10T12:00:00Z"
    facts = cache.alert_facts(5, ["S1", "S2"], since=0, until=2e9)
    assert [f.upstream_alert_id for f in facts["S1"]] == [2, 1] and "S2" not in facts
    noon = facts["S1"][0].created_ts
    cache.store_listing(5, [], started_at=200.0, prune_before=noon - 1)
    assert [f.upstream_alert_id for f in cache.alert_facts(5, ["S1"], since=0, until=2e9)["S1"]
            ] == [2]


def test_lease_has_one_holder_until_it_expires(store: Database) -> None:
    assert leases.acquire(store, "poller", owner="a", now=100.0, ttl=30)
    assert not leases.acquire(store, "poller", owner="b", now=110.0, ttl=30)
    assert leases.acquire(store, "poller", owner="a", now=120.0, ttl=30)
    assert not leases.acquire(store, "poller", owner="b", now=149.0, ttl=30)
    assert leases.holder(store, "poller", now=149.0) == "a"
    assert leases.acquire(store, "poller", owner="b", now=150.0, ttl=30)  # a stopped renewing
    assert not leases.acquire(store, "poller", owner="a", now=151.0, ttl=30)
    leases.release(store, "poller", owner="a")  # not a's any more: no effect
    assert leases.holder(store, "poller", now=151.0) == "b"
    leases.release(store, "poller", owner="b")
    assert leases.holder(store, "poller", now=151.0) is None
    assert leases.acquire(store, "other-job", owner="a", now=151.0, ttl=30)
