"""Per-token request throttling with DRF's sliding-window semantics.

Upstream allows 1 request per second per account on every endpoint; beyond
that it answers 429 with ``Retry-After``. A rate of ``r`` requests/second is
modelled as ``max(1, r)`` requests per window of ``max(1, 1/r)`` seconds;
``0`` turns throttling off. Throttled requests do not use up the window.
"""

from __future__ import annotations

import math
import threading
from collections import deque

from router.clock import Clock


class RateLimiter:
    def __init__(self, rate: float, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._history: dict[str, deque[float]] = {}
        self.set_rate(rate)

    def set_rate(self, rate: float) -> None:
        if rate < 0:
            raise ValueError("rate must be >= 0 (0 disables throttling)")
        self.rate = rate
        self._num = max(1, int(rate)) if rate else 0
        self._window = max(1.0, 1.0 / rate) if rate else 0.0

    def reset(self) -> None:
        with self._lock:
            self._history.clear()

    def check(self, key: str) -> int | None:
        """Record a request for ``key``; ``None`` if allowed, else seconds to wait."""
        if not self.rate:
            return None
        now = self._clock.now()
        with self._lock:
            history = self._history.setdefault(key, deque())
            while history and history[0] <= now - self._window:
                history.popleft()
            if len(history) >= self._num:
                wait = self._window - (now - history[0])
                return max(1, math.ceil(wait))
            history.append(now)
            return None


def throttled_detail(wait: int) -> str:
    """DRF's throttle message, singular/plural included."""
    unit = "second" if wait == 1 else "seconds"
    return f"Request was throttled. Expected available in {wait} {unit}."
