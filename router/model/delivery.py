"""A delivery's state, and what the worker decided after an attempt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DeliveryState = Literal["pending", "limited", "delivered", "dead", "merged"]


@dataclass(frozen=True)
class Outcome:
    """What the worker decided after an attempt: delivered, retry later, or dead."""

    state: Literal["delivered", "pending", "dead"]
    next_attempt_at: float | None = None
