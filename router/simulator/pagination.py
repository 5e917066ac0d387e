"""Cursor pagination like DRF's ``CursorPagination`` ordered by ``-created``.

The cursor is an opaque base64 token of the boundary item's ``(created, id)``
and a direction, so pages stay stable when new items are inserted (no
offsets). ``page_size`` defaults to 50; values above 200 are clamped, invalid
ones fall back to the default, as DRF does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from router.errors import InvalidCursorError
from router.web.api import cursor as cursortoken

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

T = TypeVar("T")
Key = tuple[datetime, int]


@dataclass(frozen=True)
class Cursor:
    created: datetime
    id: int
    reverse: bool  # True: the page *before* the boundary (a "previous" link)

    def encode(self) -> str:
        return cursortoken.pack(
            {"c": self.created.isoformat(), "i": self.id, "r": int(self.reverse)})

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            data = cursortoken.unpack(token)
            created = datetime.fromisoformat(data["c"])
            if created.tzinfo is None:
                raise ValueError("naive cursor")
            return cls(created, int(data["i"]), bool(data["r"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidCursorError("Invalid cursor") from exc


def page_size_from(raw: str | None) -> int:
    try:
        size = int(raw) if raw is not None else DEFAULT_PAGE_SIZE
    except ValueError:
        return DEFAULT_PAGE_SIZE
    if size <= 0:
        return DEFAULT_PAGE_SIZE
    return min(size, MAX_PAGE_SIZE)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next: Cursor | None
    previous: Cursor | None


def paginate(items: Sequence[T], key: Callable[[T], Key], size: int,
             cursor: Cursor | None) -> Page[T]:
    """One page of ``items`` newest first, with cursors to its neighbours."""
    ordered = sorted(items, key=key, reverse=True)
    if cursor is None:
        chunk, has_before = ordered[:size], False
        has_after = len(ordered) > size
    elif not cursor.reverse:
        after = [it for it in ordered if key(it) < (cursor.created, cursor.id)]
        chunk, has_after = after[:size], len(after) > size
        has_before = len(after) < len(ordered)
    else:
        before = [it for it in ordered if key(it) > (cursor.created, cursor.id)]
        chunk, has_before = before[-size:], len(before) > size
        has_after = len(before) < len(ordered)
    nxt = prev = None
    if chunk and has_after:
        created, ident = key(chunk[-1])
        nxt = Cursor(created, ident, reverse=False)
    if chunk and has_before:
        created, ident = key(chunk[0])
        prev = Cursor(created, ident, reverse=True)
    return Page(chunk, nxt, prev)


