"""Cursor pagination and time filters in the style of the VisionAlert API.

Lists are newest first and wrapped in ``{"next": URL|null, "previous": URL|null,
"results": [...]}``. The cursor is an opaque token of the boundary row's
``(time, id)`` and a direction, so pages stay stable while new rows arrive (no
offsets). ``page_size`` defaults to 50 and is clamped to 200. ``start``/``end``
take a date (``YYYY-MM-DD``: the whole day) or an ISO 8601 timestamp; naive
timestamps are UTC (the router's server timezone).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from router.clock import iso
from router.errors import QueryError
from router.store.views import Page, Window
from router.web.api import cursor as cursortoken
from router.web.api.cursor import page_url

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
DATE_ERROR = "Enter a valid date (YYYY-MM-DD) or ISO 8601 timestamp."


@dataclass(frozen=True)
class Cursor:
    """The boundary row of a page and which side of it the wanted page is."""

    time: float
    id: int
    reverse: bool  # True: the page before the boundary (a "previous" link)

    def encode(self) -> str:
        return cursortoken.pack({"t": self.time, "i": self.id, "r": int(self.reverse)})

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            data = cursortoken.unpack(token)
            time, ident, reverse = float(data["t"]), int(data["i"]), bool(data["r"])
        except (ValueError, KeyError, TypeError) as exc:
            raise QueryError("cursor", "invalid cursor: follow the next/previous URLs") from exc
        if not math.isfinite(time) or abs(ident) >= 2**63:
            raise QueryError("cursor", "invalid cursor: follow the next/previous URLs")
        return cls(time, ident, reverse)


@dataclass(frozen=True)
class PageRequest:
    size: int = DEFAULT_PAGE_SIZE
    cursor: Cursor | None = None


@dataclass(frozen=True)
class TimeRange:
    """Inclusive bounds in epoch seconds; None is open."""

    start: float | None = None
    end: float | None = None


def page_request(args: Mapping[str, str]) -> PageRequest:
    """``page_size`` and ``cursor`` from query arguments."""
    cursor = args.get("cursor")
    return PageRequest(page_size(args.get("page_size")),
                       Cursor.decode(cursor) if cursor else None)


def page_size(raw: str | None) -> int:
    """Default 50, at most 200; like DRF, an unusable value falls back to the default."""
    try:
        size = int(raw) if raw else DEFAULT_PAGE_SIZE
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return DEFAULT_PAGE_SIZE if size <= 0 else min(size, MAX_PAGE_SIZE)


def time_range(args: Mapping[str, str]) -> TimeRange:
    """``start``/``end`` query arguments -> epoch bounds (400 with the upstream message)."""
    return TimeRange(_bound(args, "start"), _bound(args, "end"))


def _bound(args: Mapping[str, str], name: str) -> float | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        if len(raw) == 10:
            day = datetime.combine(date.fromisoformat(raw), datetime.min.time(), UTC)
            # A date as ``end`` means the whole day (until 23:59:59.999999).
            return (day + timedelta(days=1)).timestamp() - 1e-6 if name == "end" \
                else day.timestamp()
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(name, DATE_ERROR) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


# ------------------------------------------------------------------ envelopes


def window(req: PageRequest) -> Window:
    """The store's view of a page request."""
    if req.cursor is None:
        return Window(req.size)
    return Window(req.size, (req.cursor.time, req.cursor.id), req.cursor.reverse)


def envelope(page: Page, request_url: str) -> dict[str, Any]:
    """``{"next", "previous", "results"}`` with absolute URLs, times in ISO 8601."""
    nxt = Cursor(*page.next_key, reverse=False) if page.next_key else None
    prev = Cursor(*page.previous_key, reverse=True) if page.previous_key else None
    return {"next": page_url(request_url, nxt), "previous": page_url(request_url, prev),
            "results": isoify(page.rows)}


def isoify(value: Any) -> Any:
    """Every ``*_at`` number in a JSON-ready structure becomes an ISO 8601 string."""
    if isinstance(value, list):
        return [isoify(v) for v in value]
    if isinstance(value, dict):
        return {k: iso(v) if k.endswith("_at") and isinstance(v, int | float)
                and not isinstance(v, bool) else isoify(v) for k, v in value.items()}
    return value
