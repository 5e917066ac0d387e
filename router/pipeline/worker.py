"""The wiring of the pipeline: claim -> enrich -> route -> plan -> record, then deliver.

Two durable queues: inbox entries (one per alert) become notifications with
pending deliveries in one transaction; deliveries are then claimed and sent on
a bounded thread pool, one attempt recorded per send. Every claim is a lease in
the store, so any number of workers in any number of processes can run this.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor

from router import failpoints
from router.pipeline.deliver import Attempt, send
from router.pipeline.enrich import camera_events
from router.pipeline.plan import plan_notifications, target_key
from router.pipeline.retry import after_attempt
from router.pipeline.route import route_events
from router.runtime import Runtime
from router.store import deliveries as delivery_store
from router.store import inbox as inbox_store
from router.store.deliveries import AttemptRecord, DeliveryClaim
from router.store.inbox import InboxClaim, LeaseLost
from router.store.routing import record_routing

log = logging.getLogger(__name__)

INBOX_BATCH = 20
INBOX_RETRY_DELAY = 5.0


class Worker:
    def __init__(self, runtime: Runtime, owner: str | None = None) -> None:
        self.rt = runtime
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._slots = threading.BoundedSemaphore(runtime.settings.delivery_concurrency)
        self._pool = ThreadPoolExecutor(runtime.settings.delivery_concurrency,
                                        thread_name_prefix="deliver")
        self._in_flight: set[Future[None]] = set()
        self._lock = threading.Lock()

    # -- the loop -----------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        log.info("worker started", extra={"worker": self.owner})
        while not stop.is_set():
            try:
                busy = self.step()
            except Exception:
                log.exception("worker step failed; retrying")
                busy = False
            if not busy:
                stop.wait(self.rt.settings.poll_seconds)
        self.shutdown()

    def step(self) -> bool:
        """One pass over both queues; True if there was anything to do."""
        routed = self.process_inbox()
        started = self.start_deliveries()
        return routed > 0 or started > 0

    def drain(self, timeout: float = 30.0) -> None:
        """Wait for in-flight sends (tests and shutdown)."""
        with self._lock:
            pending = list(self._in_flight)
        for fut in pending:
            fut.result(timeout=timeout)

    def shutdown(self) -> None:
        # Sends in flight finish (each is bounded by the target timeouts); the rest are
        # handed back at once instead of waiting for their leases to expire.
        self._pool.shutdown(wait=True, cancel_futures=True)
        inbox_store.release_owned(self.rt.db, owner=self.owner)
        delivery_store.release_owned(self.rt.db, owner=self.owner)
        log.info("worker stopped", extra={"worker": self.owner})

    # -- inbox -> notifications -----------------------------------------------------
    def process_inbox(self) -> int:
        now = self.rt.clock.now()
        claims = inbox_store.claim_inbox(self.rt.db, owner=self.owner, now=now,
                                         lease=self.rt.settings.lease_seconds, limit=INBOX_BATCH)
        for claim in claims:
            failpoints.hit("worker.inbox.claimed")
            try:
                self._route(claim)
            except LeaseLost as exc:
                log.warning("inbox lease lost", extra={"alert_id": claim.alert_id,
                                                       "error": str(exc)})
            except Exception as exc:
                log.exception("routing failed; entry will be retried",
                              extra={"alert_id": claim.alert_id})
                inbox_store.release_entry(self.rt.db, claim, owner=self.owner,
                                          now=self.rt.clock.now(), delay=INBOX_RETRY_DELAY,
                                          error=f"{type(exc).__name__}: {exc}")
        return len(claims)

    def _route(self, claim: InboxClaim) -> None:
        rules = self.rt.rules.get()  # one snapshot for the whole alert
        events = camera_events(claim.alert_id, claim.payload)
        routed = route_events(rules, events)
        planned = plan_notifications(rules, routed, self.rt.settings.external_url)
        record_routing(self.rt.db, claim, owner=self.owner, now=self.rt.clock.now(),
                       events=events, decided=routed.decisions, planned=planned)
        failpoints.hit("worker.inbox.recorded")
        log.info("alert routed", extra={
            "alert_id": claim.alert_id, "cameras": len(events),
            "notifications": len(planned),
            "unrouted": sum(d.outcome == "unrouted" for d in routed.decisions),
        })

    # -- deliveries -----------------------------------------------------------------
    def start_deliveries(self) -> int:
        free = 0
        while self._slots.acquire(blocking=False):
            free += 1
        if free == 0:
            return 0
        claims = delivery_store.claim_deliveries(
            self.rt.db, owner=self.owner, now=self.rt.clock.now(),
            lease=self.rt.settings.lease_seconds, limit=free)
        for _ in range(free - len(claims)):
            self._slots.release()
        for claim in claims:
            fut = self._pool.submit(self._deliver, claim)
            with self._lock:
                self._in_flight.add(fut)
            fut.add_done_callback(self._done)
        return len(claims)

    def _done(self, fut: Future[None]) -> None:
        with self._lock:
            self._in_flight.discard(fut)
        self._slots.release()
        if (exc := fut.exception()) is not None:
            log.error("delivery crashed", exc_info=exc)

    def _deliver(self, claim: DeliveryClaim) -> None:
        failpoints.hit("worker.delivery.claimed")
        s = self.rt.settings
        started = self.rt.clock.now()
        url = self._resolve(claim)
        if url is None:
            attempt = Attempt(ok=False, outcome="invalid_target", transient=False, elapsed=0.0,
                              target=claim.target,
                              error=f"receiver {claim.receiver!r} no longer has this target "
                                    "in the rules")
        else:
            attempt = send(url, claim.title, claim.body,
                           connect_timeout=s.target_connect_timeout,
                           read_timeout=s.target_read_timeout)
        now = self.rt.clock.now()
        outcome = after_attempt(ok=attempt.ok, transient=attempt.transient,
                                number=claim.attempts + 1, now=now,
                                max_attempts=s.delivery_max_attempts,
                                base=s.retry_base_seconds, cap=s.retry_max_seconds)
        delivery_store.record_attempt(
            self.rt.db, claim, owner=self.owner, worker=self.owner,
            attempt=AttemptRecord(started, attempt.elapsed, attempt.outcome, attempt.error),
            outcome=outcome, now=now)
        failpoints.hit("worker.delivery.recorded")
        level = logging.INFO if attempt.ok else logging.WARNING
        log.log(level, "delivery attempt", extra={
            "delivery_id": claim.delivery_id, "receiver": claim.receiver,
            "target": claim.target, "attempt": claim.attempts + 1, "outcome": attempt.outcome,
            "state": outcome.state, "error": attempt.error})

    def _resolve(self, claim: DeliveryClaim) -> str | None:
        """Find the raw target URL again in the rules in force, by its hash."""
        rules = self.rt.rules.get()
        receiver = rules.receivers.get(claim.receiver)
        if receiver is None:
            return None
        return next((u for u in receiver.urls if target_key(u) == claim.target_key), None)
