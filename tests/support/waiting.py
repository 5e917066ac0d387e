"""Waiting for a recorder (HTTP sink, SMTP sink) to have seen enough."""

from __future__ import annotations

import threading
import time
from typing import TypeVar

T = TypeVar("T")


def wait_for_count(cond: threading.Condition, items: list[T], count: int, timeout: float,
                   what: str) -> list[T]:
    """Block on ``cond`` until ``items`` holds ``count``; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    with cond:
        while len(items) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"got {len(items)} {what}, expected {count}")
            cond.wait(left)
        return list(items)
