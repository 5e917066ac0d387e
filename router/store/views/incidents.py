"""Incidents: the list (filtered, keyset-paged newest first on ``(opened_at, id)``), one
incident with its timeline, and the numbers above the list.

The tag filter narrows the rows in SQL with a portable ``LIKE`` on the quoted tag
inside the JSON list and is then checked exactly in Python (as the alert list does).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Text, cast, func, select

from router.store.schema_groups import incident_events, incidents
from router.store.views.paging import Keep, Page, Window, scan

# "active": open now (open or acknowledged), as the dashboard lists by default.
STATE_SETS: dict[str, tuple[str, ...]] = {
    "open": ("open",),
    "acknowledged": ("acknowledged",),
    "resolved": ("resolved",),
    "active": ("open", "acknowledged"),
}
INCIDENT_STATES = ("open", "acknowledged", "resolved")
HOUR = 3600.0
DAY = 24 * HOUR
WEEK = 7 * DAY

_COLUMNS = [c for c in incidents.c if c.name not in ("open_key", "opened_at")]


def _where(*, state: str | None, license: str | None, tag: str | None, camera: str | None,
           start: float | None, end: float | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if state:
        states = STATE_SETS.get(state)
        if states is None:
            raise ValueError(f"unknown incident state {state!r}")
        where.append(incidents.c.state.in_(states))
    if license:
        where.append(incidents.c.license == license)
    if camera:
        where.append(incidents.c.serial == camera)
    if tag:
        where.append(cast(incidents.c.tags, Text).contains(json.dumps(tag), autoescape=True))
    if start is not None:
        where.append(incidents.c.opened_at >= start)
    if end is not None:
        where.append(incidents.c.opened_at <= end)
    return where


def _exact_tag(tag: str | None) -> Keep | None:
    if not tag:
        return None

    def keep(_conn: Connection, rows: Sequence[Row[Any]]) -> list[Row[Any]]:
        return [r for r in rows if tag in (r.tags or ())]

    return keep


def _row(row: dict[str, Any], now: float) -> dict[str, Any]:
    if "ts" in row:
        row["opened_at"] = row.pop("ts")
    row.pop("open_key", None)
    row["tags"] = list(row.get("tags") or [])
    ended = row["resolved_at"] if row.get("resolved_at") is not None else now
    row["duration"] = max(0.0, ended - row["opened_at"])
    return row


def list_incidents(conn: Connection, *, state: str | None, license: str | None,
                   tag: str | None, camera: str | None, start: float | None,
                   end: float | None, window: Window, now: float) -> Page:
    """Incidents newest first (by when they opened), each with its ``duration`` so far.

    ``state``: open, acknowledged, resolved, or active (open or acknowledged); None: all.
    ``camera`` is the camera's serial; ``tag`` matches one of its tags exactly.
    """
    query = select(*_COLUMNS, incidents.c.opened_at.label("ts")).where(
        *_where(state=state, license=license, tag=tag, camera=camera, start=start, end=end))
    page = scan(conn, query, incidents.c.opened_at, incidents.c.id, window, _exact_tag(tag))
    page.rows = [_row(r, now) for r in page.rows]
    return page


def incident_detail(conn: Connection, incident_id: int, *, now: float) -> dict[str, Any] | None:
    """The incident and its ``timeline`` (oldest first); None for an unknown id."""
    found = conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()
    if found is None:
        return None
    detail = _row(dict(found._mapping), now)
    detail["timeline"] = [dict(r._mapping) for r in conn.execute(
        select(incident_events).where(incident_events.c.incident_id == incident_id)
        .order_by(incident_events.c.at, incident_events.c.id))]
    return detail


def incident_stats(conn: Connection, *, now: float) -> dict[str, Any]:
    """Open and acknowledged counts, mean time to resolve, and open incidents per site.

    ``mttr_24h``/``mttr_7d``: mean seconds from opening to resolution of the incidents
    resolved in the last 24 hours / 7 days (superseded ones left out; None if none),
    with ``resolved_24h``/``resolved_7d`` how many. ``open_by_site``: (site, count) of
    open and acknowledged incidents, most first, where a site is the camera's first
    tag, else its license.
    """
    counts: dict[str, int] = dict(conn.execute(
        select(incidents.c.state, func.count())
        .where(incidents.c.state.in_(("open", "acknowledged")))
        .group_by(incidents.c.state)).all())
    stats: dict[str, Any] = {"open": int(counts.get("open", 0)),
                             "acknowledged": int(counts.get("acknowledged", 0))}
    for name, span in (("24h", DAY), ("7d", WEEK)):
        count, mean = conn.execute(
            select(func.count(), func.avg(incidents.c.resolved_at - incidents.c.opened_at))
            .where(incidents.c.state == "resolved", incidents.c.resolved_at >= now - span,
                   incidents.c.resolved_at <= now,
                   func.coalesce(incidents.c.resolution, "") != "superseded")).one()
        stats[f"resolved_{name}"] = int(count)
        stats[f"mttr_{name}"] = float(mean) if count and mean is not None else None
    sites: dict[str, int] = {}
    for row in conn.execute(select(incidents.c.license, incidents.c.tags)
                            .where(incidents.c.state.in_(("open", "acknowledged")))):
        tags = row.tags or []
        site = str(tags[0]) if tags else str(row.license)
        sites[site] = sites.get(site, 0) + 1
    stats["open_by_site"] = sorted(sites.items(), key=lambda kv: (-kv[1], kv[0]))
    return stats
