"""Keyset paging newest first on ``(time, id)``, shared by every list of the read models.

A page scans at most ``SCAN_LIMIT`` rows: a rare filter value may yield a short page
whose ``next`` link goes on scanning.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Row,
    Select,
    and_,
    literal_column,
    or_,
    select,
    union_all,
)

BATCH = 200
SCAN_LIMIT = 5000
Key = tuple[float, int]
# Internal bookkeeping that is no business of a reader.
HIDDEN = frozenset({"lease_owner", "lease_until", "raw_body", "body_sha256", "target_key"})


@dataclass(frozen=True)
class Window:
    """Which page: ``size`` rows beyond ``boundary`` (older, or newer when ``reverse``)."""

    size: int = 50
    boundary: Key | None = None
    reverse: bool = False


@dataclass
class Page:
    """Rows newest first; ``next_key``/``previous_key`` continue the walk (None: no more)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    next_key: Key | None = None
    previous_key: Key | None = None


Keep = Callable[[Connection, Sequence[Row[Any]]], list[Row[Any]]]


def _beyond(t: ColumnElement[float], i: ColumnElement[int], key: Key,
            reverse: bool) -> ColumnElement[bool]:
    if reverse:
        return or_(t > key[0], and_(t == key[0], i > key[1]))
    return or_(t < key[0], and_(t == key[0], i < key[1]))


def scan(conn: Connection, query: Select[Any], t: ColumnElement[float], i: ColumnElement[int],
         window: Window, keep: Keep | None = None,
         parts: Sequence[ColumnElement[bool]] = ()) -> Page:
    """One page of ``query`` (whose rows carry ``ts`` and ``id`` labels), filtered by ``keep``.

    ``parts`` split the rows into disjoint sets, each read in order through its own
    (partial) index and merged: see :data:`router.store.views.alerts.ALERT_PARTS`.
    """
    found: list[Row[Any]] = []
    bound, scanned, exhausted = window.boundary, 0, False
    while len(found) <= window.size and scanned < SCAN_LIMIT:
        q = query if bound is None else query.where(_beyond(t, i, bound, window.reverse))
        rows = conn.execute(_batch(q, t, i, window.reverse, parts)).all()
        scanned += len(rows)
        found.extend(keep(conn, rows) if keep else rows)
        if len(rows) < BATCH:
            exhausted = True
            break
        bound = (rows[-1].ts, rows[-1].id)
    items = found[: window.size]
    more = len(found) > window.size or not exhausted
    beyond = (items[-1].ts, items[-1].id) if len(found) > window.size else bound
    return _page(items, window, beyond if more else None)


def _batch(q: Select[Any], t: ColumnElement[float], i: ColumnElement[int], reverse: bool,
           parts: Sequence[ColumnElement[bool]]) -> Select[Any] | CompoundSelect[Any]:
    if not parts:
        return q.order_by(*_order(t, i, reverse)).limit(BATCH)
    # Each part ordered and cut on its own index, then merged (by the labels the
    # rows carry): the database never sorts more than a batch per part.
    arms = [select(q.where(p).order_by(*_order(t, i, reverse)).limit(BATCH).subquery())
            for p in parts]
    merged = _order(literal_column("ts"), literal_column("id"), reverse)
    return union_all(*arms).order_by(*merged).limit(BATCH)


def _order(t: ColumnElement[Any], i: ColumnElement[Any], reverse: bool) -> tuple[Any, Any]:
    return (t.asc(), i.asc()) if reverse else (t.desc(), i.desc())


def _page(items: list[Row[Any]], window: Window, beyond: Key | None) -> Page:
    rows = [dict(r._mapping) for r in items]
    near = (items[0].ts, items[0].id) if items else None
    if not window.reverse:
        back = near if window.boundary is not None else None
        return Page(rows, next_key=beyond, previous_key=back)
    rows.reverse()
    return Page(rows, next_key=near, previous_key=beyond)



def public(row: Row[Any]) -> dict[str, Any]:
    """The row as a dict, without the bookkeeping columns."""
    return {k: v for k, v in row._mapping.items() if k not in HIDDEN}
