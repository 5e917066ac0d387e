"""A circuit breaker shared through the store, so every process stops calling together.

Closed: calls go through; each failure (network, timeout, 5xx) counts and a
success resets the count. After ``threshold`` failures in a row it opens:
calls fail fast with ``CircuitOpen`` for ``cooldown`` seconds. Then exactly
one caller (claimed in a write transaction) makes a trial call: success
closes the breaker, failure opens it for another ``cooldown``.
"""

from __future__ import annotations

from sqlalchemy import select, update

from router.clock import Clock
from router.store.db import Database
from router.store.schema_upstream import upstream_accounts
from router.upstream.accounts import ensure_account
from router.upstream.errors import CircuitOpen


# Hand-written, not pybreaker: its state must be one row shared by every replica.
class CircuitBreaker:
    def __init__(self, db: Database, account: str, *, threshold: int, cooldown: float,
                 clock: Clock) -> None:
        self.db, self.account, self.clock = db, account, clock
        self.threshold, self.cooldown = threshold, cooldown

    def check(self) -> None:
        """Return if a call may go out now; raise CircuitOpen otherwise."""
        now = self.clock.now()
        with self.db.write() as conn:
            ensure_account(conn, self.db.dialect, self.account)
            row = conn.execute(
                select(upstream_accounts.c.failures, upstream_accounts.c.open_until,
                       upstream_accounts.c.last_error)
                .where(upstream_accounts.c.account == self.account)
                .with_for_update()
            ).one()
            if row.failures < self.threshold:
                return
            if row.open_until > now:
                raise CircuitOpen(
                    f"VisionAlert API circuit open after {row.failures} failures in a row "
                    f"(last: {row.last_error}); next try in {row.open_until - now:.0f}s",
                    retry_at=row.open_until)
            # Half-open: this caller makes the one trial; the others keep failing fast.
            conn.execute(update(upstream_accounts)
                         .where(upstream_accounts.c.account == self.account)
                         .values(open_until=now + self.cooldown))

    def success(self) -> None:
        with self.db.write() as conn:
            conn.execute(update(upstream_accounts)
                         .where(upstream_accounts.c.account == self.account,
                                upstream_accounts.c.failures > 0)
                         .values(failures=0, open_until=0.0, last_error=None))

    def failure(self, reason: str) -> None:
        now = self.clock.now()
        with self.db.write() as conn:
            ensure_account(conn, self.db.dialect, self.account)
            failures = conn.execute(
                update(upstream_accounts)
                .where(upstream_accounts.c.account == self.account)
                .values(failures=upstream_accounts.c.failures + 1, last_error=reason[:500])
                .returning(upstream_accounts.c.failures)
            ).scalar_one()
            if failures >= self.threshold:
                conn.execute(update(upstream_accounts)
                             .where(upstream_accounts.c.account == self.account)
                             .values(open_until=now + self.cooldown))
