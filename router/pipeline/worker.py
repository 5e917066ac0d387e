"""The wiring of the pipeline: claim -> enrich -> route -> plan -> record; flush due
groups (suppress, group, render); release rate-limited messages; deliver.

Durable queues, each claimed with a lease in the store, so any number of workers in
any number of processes and replicas can run this loop (no singleton):
inbox entries (one per alert) become items waiting in groups, in one transaction;
due groups are flushed into notifications with one delivery per target, in one
transaction; deliveries are claimed and sent on a bounded thread pool, at most
``ROUTER_TARGET_CONCURRENCY`` per target, one attempt recorded per send.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime

from router.channels.images import ImageFetcher
from router.channels.render import Rendered
from router.errors import LeaseLost
from router.obs import failpoints, logs, metrics
from router.pipeline import flush
from router.pipeline.deliver import Attempt, httpcapture, send_rendered
from router.pipeline.deliver.classify import classify
from router.pipeline.deliver.durable import Policy, next_step
from router.pipeline.enrich import enrich_alert
from router.pipeline.notify import MessageContext, fallback_notifications, flush_notifications
from router.pipeline.plan import plan_items, target_key
from router.pipeline.ratelimit import release_limited
from router.pipeline.route import route_events
from router.pipeline.runtime import Runtime
from router.store import deliveries as delivery_store
from router.store import flushes as flush_store
from router.store import groups as group_store
from router.store import inbox as inbox_store
from router.store import reminders
from router.store.deliveries import AttemptRecord, DeliveryClaim
from router.store.groups import GroupClaim
from router.store.inbox import InboxClaim
from router.store.ingest import prune_dedup
from router.store.notifications import NewNotification
from router.store.routing import record_routing
from router.upstream.tracker import stale_after

log = logging.getLogger(__name__)

INBOX_BATCH = 20
INBOX_RETRY_DELAY = 5.0
GROUP_BATCH = 10
FLUSH_RETRY_DELAY = 5.0
HOUSEKEEPING_SECONDS = 60.0
REMINDER_SECONDS = 5.0


class Worker:
    def __init__(self, runtime: Runtime, owner: str | None = None) -> None:
        self.rt = runtime
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._slots = threading.BoundedSemaphore(runtime.settings.delivery_concurrency)
        self._pool = ThreadPoolExecutor(runtime.settings.delivery_concurrency,
                                        thread_name_prefix="deliver")
        self._in_flight: set[Future[None]] = set()
        self._lock = threading.Lock()
        s = runtime.settings
        self._policy = Policy(s.delivery_max_attempts, s.delivery_max_age, s.retry_base_seconds,
                              s.retry_max_seconds)
        self._images = ImageFetcher.from_settings(s)
        self._next_housekeeping = 0.0
        self._next_reminders = 0.0
        self._stale_after = stale_after(s)
        httpcapture.install()

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
        """One pass over every queue; True if there was anything to do."""
        routed = self.process_inbox()
        reminded = self.queue_reminders()
        flushed = self.flush_groups()
        released = release_limited(self.rt.db, now=self.rt.clock.now())
        started = self.start_deliveries()
        self._housekeeping()
        return routed + reminded + flushed + released + started > 0

    def _housekeeping(self) -> None:
        """Once a minute: drop dedup keys past the window, or the table grows forever
        (and with it the page each webhook's key lands on)."""
        now = self.rt.clock.now()
        if now < self._next_housekeeping:
            return
        self._next_housekeeping = now + HOUSEKEEPING_SECONDS
        removed = prune_dedup(self.rt.db, now=now, dedup_window=self.rt.settings.dedup_window)
        if removed:
            log.debug("expired dedup keys removed", extra={"count": removed})

    def shutdown(self) -> None:
        # Sends in flight finish (each is bounded by the target timeouts); the rest are
        # handed back at once instead of waiting for their leases to expire.
        self._pool.shutdown(wait=True, cancel_futures=True)
        inbox_store.release_owned(self.rt.db, owner=self.owner)
        group_store.release_owned(self.rt.db, owner=self.owner)
        delivery_store.release_owned(self.rt.db, owner=self.owner)
        log.info("worker stopped", extra={"worker": self.owner})

    # -- inbox -> notifications -----------------------------------------------------
    def process_inbox(self) -> int:
        now = self.rt.clock.now()
        claims = inbox_store.claim_inbox(self.rt.db, owner=self.owner, now=now,
                                         lease=self.rt.settings.lease_seconds, limit=INBOX_BATCH)
        for claim in claims:
            logs.new_context(alert_id=claim.alert_id)
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
        logs.new_context()
        return len(claims)

    def _route(self, claim: InboxClaim) -> None:
        rules = self.rt.rules.get()  # one snapshot for the whole alert
        enrichment = enrich_alert(self.rt, claim)
        if enrichment.retry_in is not None:  # upstream data not there yet: hand back, retry
            inbox_store.release_entry(self.rt.db, claim, owner=self.owner,
                                      now=self.rt.clock.now(), delay=enrichment.retry_in,
                                      error=enrichment.reason or "waiting for enrichment")
            return
        events = enrichment.events
        logs.bind(camera_serial=",".join(e.serial for e in events))
        # Time windows judge when the problem was reported, not when a worker got to it.
        routed = route_events(rules, events, datetime.fromtimestamp(claim.received_at, UTC))
        now = self.rt.clock.now()
        items = plan_items(rules, routed, now)
        done = record_routing(self.rt.db, claim, owner=self.owner, now=now,
                              events=events, decided=routed.decisions, items=items)
        metrics.incidents_opened(done.opened)
        metrics.incidents_resolved("webhook", len(done.resolved_after), done.resolved_after)
        failpoints.hit("worker.inbox.recorded")
        metrics.routed(routed.decisions, ())  # notifications are counted when flushed
        log.info("alert routed", extra={
            "alert_id": claim.alert_id, "cameras": len(events), "grouped": len(items),
            "unrouted": sum(d.outcome == "unrouted" for d in routed.decisions),
        })

    # -- reminders of open incidents -> groups ---------------------------------------
    def queue_reminders(self) -> int:
        """Every REMINDER_SECONDS: put due reminders into their groups (any worker may)."""
        now = self.rt.clock.now()
        if now < self._next_reminders:
            return 0
        self._next_reminders = now + REMINDER_SECONDS
        queued = reminders.queue_due(self.rt.db, now=now)
        if queued:
            log.info("reminders queued", extra={"count": queued})
        return queued

    # -- due groups -> notifications ------------------------------------------------
    def flush_groups(self) -> int:
        claims = group_store.claim_groups(self.rt.db, owner=self.owner, now=self.rt.clock.now(),
                                          lease=self.rt.settings.lease_seconds,
                                          limit=GROUP_BATCH)
        for claim in claims:
            logs.new_context(group_id=claim.id, receiver=claim.receiver)
            failpoints.hit("worker.group.claimed")
            try:
                self._flush(claim)
            except LeaseLost as exc:
                log.warning("group lease lost", extra={"group_id": claim.id, "error": str(exc)})
            except Exception:
                log.exception("group flush failed; will be retried", extra={"group_id": claim.id})
                group_store.release(self.rt.db, claim, owner=self.owner,
                                    retry_at=self.rt.clock.now() + FLUSH_RETRY_DELAY)
        logs.new_context()
        return len(claims)

    def _flush(self, claim: GroupClaim) -> None:
        rules = self.rt.rules.get()
        now = self.rt.clock.now()
        items, given = flush.load(self.rt.db, claim, now=now,
                                  inhibit_rules=rules.inhibit_rules, sites=rules.sites,
                                  stale_after=self._stale_after)
        verdicts = flush.plan_flush(items, given)
        ctx = MessageContext.of(self.rt.settings, rules, now, incidents=given.incidents)
        notes = flush_notifications(rules, claim, verdicts, ctx)
        flush_store.record(self.rt.db, claim, owner=self.owner, now=now, verdicts=verdicts,
                           notes=notes)
        failpoints.hit("worker.group.flushed")
        for note in notes.values():
            metrics.notification(note.receiver)
        log.info("group flushed", extra={
            "group_id": claim.id, "receiver": claim.receiver, "route": claim.route,
            "items": len(items), "sent": sum(v.reason.sends for v in verdicts)})

    # -- deliveries -----------------------------------------------------------------
    def start_deliveries(self) -> int:
        free = 0
        while self._slots.acquire(blocking=False):
            free += 1
        if free == 0:
            return 0
        claims = delivery_store.claim_deliveries(
            self.rt.db, owner=self.owner, now=self.rt.clock.now(),
            lease=self.rt.settings.lease_seconds, limit=free,
            per_target=self.rt.settings.target_concurrency)
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
        if not fut.cancelled() and (exc := fut.exception()) is not None:
            log.error("delivery crashed", exc_info=exc)

    def _deliver(self, claim: DeliveryClaim) -> None:
        logs.new_context(delivery_id=claim.delivery_id, receiver=claim.receiver)
        failpoints.hit("worker.delivery.claimed")
        started = self.rt.clock.now()
        attempt, responses = self._send(claim)
        now = self.rt.clock.now()
        failure = None if attempt.ok else classify(attempt, responses, now)
        outcome, died = next_step(failure, attempts=claim.attempts_since_replay + 1,
                                  age=now - claim.age_start, now=now, policy=self._policy)
        error = attempt.error if died is None else f"{attempt.error}; dead letter: {died}"
        delivery_store.record_attempt(
            self.rt.db, claim, owner=self.owner, worker=self.owner,
            attempt=AttemptRecord(started, attempt.elapsed, attempt.outcome, error,
                                  "; ".join(attempt.notes) or None),
            outcome=outcome, now=now,
            fallback=self._fallback(claim) if outcome.state == "dead" else ())
        failpoints.hit("worker.delivery.recorded")
        metrics.delivery_attempt(claim.receiver, attempt.outcome, attempt.elapsed, outcome.state)
        level = logging.INFO if attempt.ok else logging.WARNING
        log.log(level, "delivery attempt", extra={
            "delivery_id": claim.delivery_id, "receiver": claim.receiver,
            "target": claim.target, "attempt": claim.attempts + 1, "outcome": attempt.outcome,
            "http_status": failure.status if failure else None,
            "state": outcome.state, "error": error})

    def _send(self, claim: DeliveryClaim) -> tuple[Attempt, list[httpcapture.Response]]:
        url = self._resolve(claim)
        if url is None:
            return Attempt(ok=False, outcome="invalid_target", transient=False, elapsed=0.0,
                           target=claim.target,
                           error=f"receiver {claim.receiver!r} no longer has this target "
                                 "in the rules"), []
        s = self.rt.settings
        with httpcapture.capture() as responses:
            attempt = send_rendered(url, Rendered.from_dict(claim.message),
                                    connect_timeout=s.target_connect_timeout,
                                    read_timeout=s.target_read_timeout, images=self._images)
        return attempt, list(responses)

    def _fallback(self, claim: DeliveryClaim) -> list[NewNotification]:
        """Fallback notifications for a dead delivery, rendered before the store's
        transaction; it writes them only if every target of the notification died."""
        rules = self.rt.rules.get()
        receiver = rules.receivers.get(claim.receiver)
        if receiver is None or not receiver.fallback:
            return []
        events = flush_store.events_by_ids(self.rt.db, claim.camera_event_ids)
        ctx = MessageContext.of(self.rt.settings, rules, self.rt.clock.now())
        return fallback_notifications(rules, claim, events, ctx)

    def _resolve(self, claim: DeliveryClaim) -> str | None:
        """Find the raw target URL again in the rules in force, by its hash."""
        rules = self.rt.rules.get()
        receiver = rules.receivers.get(claim.receiver)
        if receiver is None:
            return None
        return next((u for u in receiver.urls if target_key(u) == claim.target_key), None)
