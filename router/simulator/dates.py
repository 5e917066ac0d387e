"""The ``start``/``end`` query parameters of the log and alert lists.

Rules from the API reference: ``YYYY-MM-DD`` means 00:00 of that day for
``start`` and the whole day (through 23:59:59.999999) for ``end``; a timestamp
is exact; a naive one is in the server timezone.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

from router.errors import DateFilterError

INVALID_DATE = "Enter a valid date (YYYY-MM-DD) or ISO 8601 timestamp."

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_bound(value: str, *, is_end: bool, tz: tzinfo) -> datetime:
    """The aware datetime a ``start`` (``is_end=False``) or ``end`` value stands for."""
    value = value.strip()
    try:
        if _DATE.match(value):
            day = date.fromisoformat(value)
            if is_end:
                # Inclusive end day: everything before the next midnight, fractions included.
                return datetime.combine(day + timedelta(days=1), time(), tz) - timedelta(
                    microseconds=1)
            return datetime.combine(day, time(), tz)
        if "T" not in value and " " not in value:
            raise DateFilterError(INVALID_DATE)  # e.g. "2026-04" or "20260410" are not accepted
        stamp = datetime.fromisoformat(value)
    except ValueError as exc:
        raise DateFilterError(INVALID_DATE) from exc
    return stamp.replace(tzinfo=tz) if stamp.tzinfo is None else stamp
