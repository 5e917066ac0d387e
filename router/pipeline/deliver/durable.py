"""Decide what follows a delivery attempt: delivered, retry later, or dead letter."""

from __future__ import annotations

import random
from dataclasses import dataclass

from router.model.delivery import Outcome
from router.pipeline.deliver.backoff import retry_delay
from router.pipeline.deliver.classify import Failure


@dataclass(frozen=True)
class Policy:
    max_attempts: int
    max_age: float
    base: float
    cap: float


def next_step(failure: Failure | None, *, attempts: int, age: float, now: float,
              policy: Policy, rng: random.Random | None = None) -> tuple[Outcome, str | None]:
    """``attempts`` counts the one just made (since the last replay); None = succeeded.

    Returns the outcome and, for a dead letter, why it died.
    """
    if failure is None:
        return Outcome("delivered"), None
    if not failure.transient:
        return Outcome("dead"), f"permanent failure ({failure.describe()})"
    if attempts >= policy.max_attempts:
        return Outcome("dead"), f"gave up after {attempts} attempts"
    delay = retry_delay(attempts, base=policy.base, cap=policy.cap,
                        retry_after=failure.retry_after, rng=rng)
    if age + delay > policy.max_age:
        return Outcome("dead"), f"gave up: older than max_age {policy.max_age:g}s"
    return Outcome("pending", now + delay), None
