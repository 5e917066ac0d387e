"""Time: the clock as a dependency, and time as people and peers write it.

The clock is injected so group waits, leases and backoff are testable without
sleeps. The parsers are the one place durations (``1h30m``), times typed at the
API or CLI (ISO 8601 or epoch seconds), ``Retry-After`` and ISO output live.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, overload

from router.errors import TimeInputError

__all__ = [
    "DURATION_PATTERN",
    "Clock",
    "ManualClock",
    "SystemClock",
    "iso",
    "parse_datetime",
    "parse_duration",
    "parse_retry_after",
    "parse_span",
    "parse_time",
    "utc",
]


class Clock(Protocol):
    """The one time source of the router and the simulator: nothing reads the time
    or sleeps behind its back, so tests move time instead of waiting."""

    def now(self) -> float:
        """Seconds since the epoch."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (a manual clock just advances)."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class ManualClock:
    """A clock that moves only when told to (tests, simulations); thread-safe."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float = 0.0, **delta: float) -> None:
        """Move forward ``seconds`` plus any ``timedelta`` keyword parts (``minutes=15``)."""
        step = timedelta(seconds=seconds, **delta).total_seconds()
        with self._lock:
            self._now += step

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)


def utc(ts: float) -> datetime:
    """Epoch seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(ts, UTC)


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)([smhd]))+")
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
DURATION_PATTERN = r"^(\d+(\.\d+)?[smhd])+$"


def parse_duration(value: int | float | str) -> float:
    """``'1h30m'`` -> 5400.0; a non-negative number is seconds already."""
    if isinstance(value, int | float):
        seconds = float(value)
    elif _DURATION.fullmatch(value.strip()):
        seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(value))
    else:
        raise TimeInputError(
            f"invalid duration {value!r} (write 30s, 5m, 4h, 1d, 1h30m, or seconds)")
    if seconds < 0:
        raise TimeInputError("a duration cannot be negative")
    return seconds


def parse_datetime(value: Any, *, name: str) -> datetime:
    """``2026-11-25T10:00:00Z`` (no zone = UTC, an offset is kept) or epoch seconds."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise TimeInputError(f"{name}: expected an ISO 8601 time (2026-11-25T10:00:00Z) "
                         "or epoch seconds")


def parse_time(value: Any, *, name: str) -> float:
    """Like :func:`parse_datetime`, as epoch seconds."""
    return parse_datetime(value, name=name).timestamp()


def parse_span(value: Any, *, name: str) -> float:
    """``2h``, ``30m``, ``1d12h`` or seconds -> seconds (> 0)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TimeInputError(f"{name}: expected a duration like 30s, 5m, 4h, 1d")
    try:
        seconds = parse_duration(value)
    except TimeInputError as exc:
        raise TimeInputError(f"{name}: {exc}") from None
    if seconds <= 0:
        raise TimeInputError(f"{name}: must be longer than 0s")
    return seconds


@overload
def iso(ts: float) -> str: ...
@overload
def iso(ts: None) -> None: ...
def iso(ts: float | None) -> str | None:
    """Epoch seconds -> ``2026-11-25T10:00:00Z`` (None stays None)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def parse_retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After: 2`` -> 2.0; an HTTP date -> seconds from ``now``; junk -> None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)
