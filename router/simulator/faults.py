"""Injectable upstream failures: latency, 5xx, 429 and hangs.

Configured at start (``SimulatorConfig.faults``) and at runtime through
``/_sim/faults``. They apply to the VisionAlert API paths only, before
authentication, as a load balancer or overloaded upstream would fail. A hang
waits on an event, so resetting the faults or stopping the server releases it,
and it is capped by ``MAX_HANG`` so a forgotten fault cannot wedge a test run.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any

MAX_HANG = 60.0


@dataclass
class FaultConfig:
    latency: float = 0.0  # seconds added to every API response
    error_rate: float = 0.0  # probability of a 5xx per request
    error_status: int = 503
    next_errors: int = 0  # the next N requests fail with error_status
    next_429: int = 0  # the next N requests get 429 + Retry-After
    retry_after: int = 1
    hang: float = 0.0  # seconds to hang (then 504) for the next hang_next requests
    hang_next: int = 0  # 0 with hang > 0: hang every request
    seed: int | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings {sorted(unknown)}; known: {sorted(known)}")
        config = cls(**data)
        config.validate()
        return config

    def validate(self) -> None:
        if self.latency < 0 or self.hang < 0:
            raise ValueError("latency and hang must be >= 0 seconds")
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        if not 500 <= self.error_status <= 599:
            raise ValueError("error_status must be a 5xx code")
        if min(self.next_errors, self.next_429, self.hang_next, self.retry_after) < 0:
            raise ValueError("counts and retry_after must be >= 0")


@dataclass(frozen=True)
class Fault:
    """What to do to one request: ``kind`` is error, throttle or hang."""

    kind: str
    status: int
    retry_after: int = 0
    hang: float = 0.0


class Faults:
    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self._release = threading.Event()
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        config.validate()
        with self._lock:
            self._release.set()  # free requests hanging under the old settings
            self._release = threading.Event()
            self.config = config
            self._rng = random.Random(config.seed)  # noqa: S311 - reproducible faults, not security

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return asdict(self.config)

    def release(self) -> None:
        self._release.set()

    def latency(self) -> float:
        return self.config.latency

    def pick(self) -> Fault | None:
        """Decide (and consume) the fault for one request, if any."""
        with self._lock:
            c = self.config
            if c.hang > 0:
                seconds = min(c.hang, MAX_HANG)
                if c.hang_next > 0:
                    c.hang_next -= 1
                    if c.hang_next == 0:
                        c.hang = 0.0  # the counted hangs are used up
                return Fault("hang", 504, hang=seconds)
            if c.next_429 > 0:
                c.next_429 -= 1
                return Fault("throttle", 429, retry_after=c.retry_after)
            if c.next_errors > 0:
                c.next_errors -= 1
                return Fault("error", c.error_status)
            if c.error_rate and self._rng.random() < c.error_rate:
                return Fault("error", c.error_status)
            return None

    def wait_hang(self, seconds: float) -> None:
        """Block like a stuck upstream; returns early when faults are reset."""
        self._release.wait(min(seconds, MAX_HANG))
