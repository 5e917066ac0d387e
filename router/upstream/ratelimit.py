"""A client-side rate limiter shared by every worker process and replica.

Upstream allows ``rps`` requests per second per account and answers 429
beyond. The limiter's state is one row in the store: the next free request
slot. Taking a slot is a read-modify-write in one write transaction (SQLite
``BEGIN IMMEDIATE``, PostgreSQL ``SELECT ... FOR UPDATE``), so two processes
can never take the same slot. Slots are ``1/rps`` apart plus a little slack,
because upstream counts arrival times and a request's arrival lags its start
by scheduling noise; and the next slot never starts before the previous
request *finished* plus ``1/rps``, so a slow answer cannot squeeze two
arrivals into one window. A 429 with ``Retry-After`` blocks every process.
Times are wall-clock seconds: replicas need synchronised clocks (NTP).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sqlalchemy import select, update

from router.clock import Clock
from router.store.db import Database
from router.store.schema_upstream import upstream_accounts
from router.upstream.accounts import ensure_account
from router.upstream.errors import UpstreamThrottled

# Fraction of the interval added between slots (see module docstring).
SLACK = 0.1


class Limiter(Protocol):
    """What the client asks of a limiter (the shared one, or the tracker's share of it)."""

    def acquire(self) -> float: ...

    def finished(self) -> None: ...

    def block(self, seconds: float) -> None: ...


# Hand-written, not a token-bucket library: the slot is shared through the store.
class SharedRateLimiter:
    def __init__(self, db: Database, account: str, *, rps: float, clock: Clock,
                 sleep: Callable[[float], None], max_wait: float = 15.0) -> None:
        self.db, self.account, self.clock, self.sleep = db, account, clock, sleep
        self.interval = 1.0 / rps
        self.max_wait = max_wait

    def acquire(self) -> float:
        """Wait for this caller's slot (returned); UpstreamThrottled if beyond max_wait."""
        now = self.clock.now()
        slot = self._reserve(now)
        if slot - now > 0:
            self.sleep(slot - now)
        return slot

    def finished(self) -> None:
        """A request got its answer: the next one may start ``1/rps`` from now at the earliest."""
        earliest = self.clock.now() + self.interval
        with self.db.write() as conn:
            conn.execute(
                update(upstream_accounts)
                .where(upstream_accounts.c.account == self.account,
                       upstream_accounts.c.next_slot_at < earliest)
                .values(next_slot_at=earliest)
            )

    def block(self, seconds: float) -> None:
        """Upstream said 429 + Retry-After: nobody sends before then."""
        until = self.clock.now() + seconds
        with self.db.write() as conn:
            ensure_account(conn, self.db.dialect, self.account)
            conn.execute(
                update(upstream_accounts)
                .where(upstream_accounts.c.account == self.account,
                       upstream_accounts.c.blocked_until < until)
                .values(blocked_until=until)
            )

    def try_acquire(self) -> float | None:
        """Take the next slot only if nobody is queued for it (within half an interval):
        the state tracker's way in, so it never makes enrichment wait behind it."""
        now = self.clock.now()
        with self.db.write() as conn:
            ensure_account(conn, self.db.dialect, self.account)
            row = conn.execute(
                select(upstream_accounts.c.next_slot_at, upstream_accounts.c.blocked_until)
                .where(upstream_accounts.c.account == self.account).with_for_update()).one()
            slot = max(now, row.next_slot_at, row.blocked_until)
            if slot - now > self.interval / 2:
                return None
            conn.execute(update(upstream_accounts)
                         .where(upstream_accounts.c.account == self.account)
                         .values(next_slot_at=slot + self.interval * (1 + SLACK)))
        if slot > now:
            self.sleep(slot - now)
        return float(slot)

    def _reserve(self, now: float) -> float:
        with self.db.write() as conn:
            ensure_account(conn, self.db.dialect, self.account)
            row = conn.execute(
                select(upstream_accounts.c.next_slot_at, upstream_accounts.c.blocked_until)
                .where(upstream_accounts.c.account == self.account)
                .with_for_update()
            ).one()
            slot = max(now, row.next_slot_at, row.blocked_until)
            if slot - now > self.max_wait:
                raise UpstreamThrottled(
                    f"VisionAlert API rate limit booked up for {slot - now:.0f}s "
                    f"(ROUTER_VISIONALERT_RPS={1 / self.interval:g})", retry_after=slot - now)
            conn.execute(
                update(upstream_accounts)
                .where(upstream_accounts.c.account == self.account)
                .values(next_slot_at=slot + self.interval * (1 + SLACK))
            )
        return float(slot)


class BackgroundLimiter:
    """The state tracker's share of the shared limit.

    It takes at most ``share`` of the account's requests per second (its own pace),
    and only a slot that is free now: whenever enrichment has queued for the next
    slot, the tracker waits. Enrichment therefore never waits for more than the one
    tracker request that may already be in flight.
    """

    def __init__(self, shared: SharedRateLimiter, *, share: float, clock: Clock,
                 sleep: Callable[[float], None], max_wait: float = 60.0) -> None:
        self.shared, self.clock, self.sleep = shared, clock, sleep
        self.pace = shared.interval / share
        self.max_wait = max_wait
        self._last: float | None = None

    def acquire(self) -> float:
        started = self.clock.now()
        if self._last is not None and self._last + self.pace > started:
            self.sleep(self._last + self.pace - started)
        while True:
            slot = self.shared.try_acquire()
            if slot is not None:
                self._last = slot
                return slot
            if self.clock.now() - started > self.max_wait:
                raise UpstreamThrottled("the state tracker found no free request slot for "
                                        f"{self.max_wait:g}s: enrichment uses the whole "
                                        "VisionAlert API budget", retry_after=self.pace)
            self.sleep(self.shared.interval)

    def finished(self) -> None:
        self.shared.finished()

    def block(self, seconds: float) -> None:
        self.shared.block(seconds)
