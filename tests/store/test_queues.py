"""The store's queues on both backends: ingest + dedup, inbox and delivery leases,
routing records, singleton leases and the queue figures behind the metrics.

Concurrency is real: several threads, each with its own connection from the pool,
race for the same rows; on PostgreSQL that exercises FOR UPDATE SKIP LOCKED.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import pytest
from sqlalchemy import func, select

from router.errors import LeaseLost
from router.model import Decision
from router.pipeline.enrich import camera_events
from router.store import deliveries as delivery_store
from router.store import inbox as inbox_store
from router.store import leases
from router.store.db import Database
from router.store.deliveries import AttemptRecord, Outcome
from router.store.inbox import InboxClaim
from router.store.ingest import Accepted, prune_dedup
from router.store.notifications import NewNotification, Target, insert_notification
from router.store.routing import record_routing
from router.store.schema import PENDING, alerts, dedup, deliveries
from router.store.stats import queue_stats
from tests.support.ingest import sample_body, store_webhook

T = TypeVar("T")
THREADS = 4


def _accept(db: Database, serial: str, now: float = 100.0) -> Accepted:
    return store_webhook(db, sample_body(serial), now=now)


def _race(count: int, job: Callable[[int], T]) -> list[T]:
    """Run ``job(i)`` for i in range(count) on THREADS threads started together."""
    results: list[T] = []
    errors: list[BaseException] = []
    lock, start = threading.Lock(), threading.Barrier(THREADS)

    def run(offset: int) -> None:
        start.wait()
        for i in range(offset, count, THREADS):
            try:
                result = job(i)
            except BaseException as exc:  # re-raised below, in the test thread
                errors.append(exc)
                return
            with lock:
                results.append(result)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def _route_one(db: Database, claim: InboxClaim, owner: str, targets: int = 1) -> None:
    """Record the alert as routed, then one notification with ``targets`` deliveries."""
    events = camera_events(claim.alert_id, claim.payload)
    decided = [Decision(e.index, "routed", "r", "hook", "matched") for e in events]
    record_routing(db, claim, owner=owner, now=101.0, events=events, decided=decided, items=[])
    note = NewNotification(route="r", receiver="hook", title="t", body="b", camera_event_ids=[],
                           targets=[Target(i, f"key{i}", f"json://h/{i}") for i in range(targets)],
                           alert_id=claim.alert_id)
    with db.write() as conn:
        insert_notification(conn, note, 101.0)


# -- ingest ----------------------------------------------------------------------------


def test_accept_stores_alert_and_inbox_entry(store: Database) -> None:
    accepted = _accept(store, "S1")
    assert not accepted.duplicate
    with store.read() as conn:
        assert conn.execute(select(alerts.c.license)).scalars().all() == ["LIC-ABC123"]
        assert conn.execute(select(alerts.c.id, alerts.c.inbox_state)).all() == [
            (accepted.alert_id, "pending")]


def test_identical_webhooks_racing_are_accepted_once(store: Database) -> None:
    results = _race(12, lambda _i: _accept(store, "SAME"))
    originals = [r for r in results if not r.duplicate]
    assert len(originals) == 1
    assert {r.alert_id for r in results} == {originals[0].alert_id}
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(alerts).where(PENDING)).scalar() == 1
        # The losers' own inserts were taken back: one row, counting the others.
        assert conn.execute(select(alerts.c.id, alerts.c.duplicates)).all() == [
            (originals[0].alert_id, 11)]


def test_a_duplicate_after_the_window_is_a_new_alert(store: Database) -> None:
    first = _accept(store, "S1", now=100.0)
    again = _accept(store, "S1", now=100.0 + 601)
    assert not again.duplicate and again.alert_id != first.alert_id


# -- inbox -----------------------------------------------------------------------------


def test_concurrent_claimers_never_share_an_entry(store: Database) -> None:
    for i in range(40):
        _accept(store, f"S{i}")
    batches = _race(THREADS * 6, lambda i: inbox_store.claim_inbox(
        store, owner=f"w{i % THREADS}", now=200.0, lease=60, limit=3))
    claimed = [c.entry_id for batch in batches for c in batch]
    assert len(claimed) == len(set(claimed)) == 40


def test_a_lease_hides_an_entry_until_it_expires(store: Database) -> None:
    _accept(store, "S1")
    (first,) = inbox_store.claim_inbox(store, owner="a", now=200.0, lease=30, limit=5)
    assert inbox_store.claim_inbox(store, owner="b", now=229.0, lease=30, limit=5) == []
    (again,) = inbox_store.claim_inbox(store, owner="b", now=231.0, lease=30, limit=5)
    assert again.entry_id == first.entry_id and again.claims == 2
    # The first owner lost its lease: its late result is refused, nothing is written.
    with pytest.raises(LeaseLost):
        _route_one(store, first, owner="a")
    _route_one(store, again, owner="b")
    with store.read() as conn:
        assert conn.execute(select(alerts.c.inbox_state)).scalars().all() == ["done"]
        assert conn.execute(select(func.count()).select_from(deliveries)).scalar() == 1


def test_released_entries_come_back_after_the_delay(store: Database) -> None:
    _accept(store, "S1")
    (claim,) = inbox_store.claim_inbox(store, owner="a", now=200.0, lease=60, limit=5)
    inbox_store.release_entry(store, claim, owner="a", now=201.0, delay=5, error="boom")
    assert inbox_store.claim_inbox(store, owner="b", now=205.0, lease=60, limit=5) == []
    assert len(inbox_store.claim_inbox(store, owner="b", now=206.5, lease=60, limit=5)) == 1


def test_release_owned_hands_back_only_our_entries(store: Database) -> None:
    for i in range(3):
        _accept(store, f"S{i}")
    inbox_store.claim_inbox(store, owner="a", now=200.0, lease=60, limit=2)
    inbox_store.claim_inbox(store, owner="b", now=200.0, lease=60, limit=5)
    assert inbox_store.release_owned(store, owner="a") == 2
    retaken = inbox_store.claim_inbox(store, owner="c", now=201.0, lease=60, limit=5)
    assert len(retaken) == 2


# -- deliveries --------------------------------------------------------------------------


def _pending_deliveries(store: Database, count: int) -> None:
    for i in range(count):
        _accept(store, f"D{i}")
    for claim in inbox_store.claim_inbox(store, owner="r", now=200.0, lease=60, limit=count):
        _route_one(store, claim, owner="r")


def test_concurrent_delivery_claims_never_share(store: Database) -> None:
    _pending_deliveries(store, 20)
    batches = _race(THREADS * 4, lambda i: delivery_store.claim_deliveries(
        store, owner=f"w{i % THREADS}", now=300.0, lease=60, limit=2))
    claimed = [c.delivery_id for batch in batches for c in batch]
    assert len(claimed) == len(set(claimed)) == 20


def test_an_attempt_is_recorded_only_by_the_lease_holder(store: Database) -> None:
    _pending_deliveries(store, 1)
    (claim,) = delivery_store.claim_deliveries(store, owner="a", now=300.0, lease=10, limit=1)
    (retaken,) = delivery_store.claim_deliveries(store, owner="b", now=311.0, lease=10, limit=1)
    record = AttemptRecord(started_at=311.0, elapsed=0.1, outcome="success", error=None)
    assert not delivery_store.record_attempt(store, claim, owner="a", worker="a",
                                             attempt=record, outcome=Outcome("delivered"),
                                             now=311.5)
    assert delivery_store.record_attempt(store, retaken, owner="b", worker="b", attempt=record,
                                         outcome=Outcome("delivered"), now=311.5)
    with store.read() as conn:
        assert conn.execute(select(deliveries.c.state, deliveries.c.attempts)).all() == [
            ("delivered", 1)]


def test_queue_stats(store: Database) -> None:
    assert queue_stats(store).inbox_pending == 0
    assert queue_stats(store).oldest_pending_at is None
    _accept(store, "Q1", now=100.0)
    _accept(store, "Q2", now=150.0)
    _pending_deliveries(store, 2)
    (claim, _) = delivery_store.claim_deliveries(store, owner="a", now=300.0, lease=10, limit=2)
    record = AttemptRecord(started_at=300.0, elapsed=0.1, outcome="failure", error="no")
    delivery_store.record_attempt(store, claim, owner="a", worker="a", attempt=record,
                                  outcome=Outcome("dead"), now=300.5)
    stats = queue_stats(store)
    assert (stats.inbox_pending, stats.oldest_pending_at) == (2, 100.0)
    assert (stats.deliveries_pending, stats.dead_letters) == (1, 1)


# -- singleton leases ------------------------------------------------------------------


def test_one_holder_of_a_singleton_lease(store: Database) -> None:
    won = _race(THREADS * 3, lambda i: (i, leases.acquire(store, "poller", owner=f"r{i}",
                                                          now=10.0, ttl=30)))
    winners = [i for i, ok in won if ok]
    assert len(winners) == 1
    owner = f"r{winners[0]}"
    assert leases.holder(store, "poller", now=20.0) == owner
    assert not leases.acquire(store, "poller", owner="late", now=39.0, ttl=30)
    assert leases.acquire(store, "poller", owner="late", now=40.5, ttl=30)  # expired
    leases.release(store, "poller", owner="late")
    assert leases.holder(store, "poller", now=41.0) is None


def test_expired_dedup_keys_are_pruned_in_batches(store: Database) -> None:
    for i in range(5):
        _accept(store, f"OLD{i}", now=100.0)
    _accept(store, "FRESH", now=300.0)
    # Window 600 at t=800: keys seen before t=200 can no longer make a duplicate.
    assert prune_dedup(store, now=800.0, dedup_window=600, batch=2) == 5
    with store.read() as conn:
        assert conn.execute(select(dedup.c.seen_at)).scalars().all() == [300.0]
    assert not _accept(store, "OLD0", now=800.0).duplicate  # a new alert, as before
    assert _accept(store, "FRESH", now=800.0).duplicate
