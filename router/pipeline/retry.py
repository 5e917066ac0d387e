"""Decide what follows a delivery attempt: delivered, retry later, or dead letter."""

from __future__ import annotations

import random

from router.pipeline.backoff import retry_delay
from router.store.deliveries import Outcome


def after_attempt(*, ok: bool, transient: bool, number: int, now: float, max_attempts: int,
                  base: float, cap: float, rng: random.Random | None = None) -> Outcome:
    """``number`` is the attempt just made (1-based)."""
    if ok:
        return Outcome("delivered")
    if not transient or number >= max_attempts:
        return Outcome("dead")
    return Outcome("pending", now + retry_delay(number, base=base, cap=cap, rng=rng))
