"""Times people type (API and CLI): ISO 8601 or epoch seconds, and durations like 2h."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic_core import PydanticCustomError

from router.rules.options import parse_duration


class TimeInputError(ValueError):
    """A time or duration that cannot be read; the message says what to write."""


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
    try:
        seconds = parse_duration(value)
    except PydanticCustomError as exc:
        raise TimeInputError(f"{name}: {exc.message()}") from None
    if seconds <= 0:
        raise TimeInputError(f"{name}: must be longer than 0s")
    return seconds


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")
