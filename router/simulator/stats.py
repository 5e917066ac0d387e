"""Request counters for ``GET /_sim/stats``: how hard a client hit the upstream.

Benchmarks and tests read them to prove the router stayed under the rate
limit (count of 429s served) and cached what it should (requests per endpoint).
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._requests: Counter[str] = Counter()
            self._statuses: Counter[str] = Counter()
            self._by_token: Counter[str] = Counter()
            self._throttled = 0
            self._faults: Counter[str] = Counter()
            self._total = 0

    def record(self, endpoint: str, status: int, token: str | None) -> None:
        with self._lock:
            self._total += 1
            self._requests[endpoint] += 1
            self._statuses[str(status)] += 1
            if token:
                self._by_token[token[:4] + "…"] += 1  # never expose whole tokens

    def throttled(self) -> None:
        with self._lock:
            self._throttled += 1

    def fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self._total,
                "requests": dict(self._requests),
                "statuses": dict(self._statuses),
                "by_token": dict(self._by_token),
                "throttled": self._throttled,
                "responses_429": self._statuses.get("429", 0),
                "faults": dict(self._faults),
            }
