"""The alert list: filters, exact matching inside JSON documents, delivery states per alert.

Tag, anomaly and status live inside JSON documents (the webhook payload, camera
event data); JSON operators differ between SQLite and PostgreSQL, so those filters
narrow the rows in SQL with a portable ``LIKE`` on the quoted value and are then
checked exactly in Python.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    Text,
    cast,
    exists,
    func,
    or_,
    select,
    union,
)

from router.model import label_key
from router.store import schema_groups
from router.store.schema import DONE, PENDING, alerts, camera_events, decisions, deliveries
from router.store.schema import notifications as notes
from router.store.views.paging import Keep, Page, Window, scan

# Every alert is in one of these: finished ones are in the time indexes, pending
# ones (few) in their own index (see schema). A query over alerts by time reads
# each part through its index.
ALERT_PARTS: tuple[ColumnElement[bool], ...] = (DONE, PENDING)


@dataclass(frozen=True)
class AlertFilter:
    license: str | None = None
    tag: str | None = None
    status: str | None = None  # a Status value
    anomaly: str | None = None  # canonical anomaly type
    start: float | None = None
    end: float | None = None




def _quoted(value: str) -> str:
    # How the value appears inside a stored JSON document (SQLAlchemy uses json.dumps).
    return json.dumps(value)


def _alert_where(flt: AlertFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if flt.license:
        where.append(alerts.c.license == flt.license)
    if flt.start is not None:
        where.append(alerts.c.received_at >= flt.start)
    if flt.end is not None:
        where.append(alerts.c.received_at <= flt.end)
    for value in (flt.tag, flt.anomaly, flt.status):
        if value:
            where.append(_mentions(value))
    return where


def _mentions(value: str) -> ColumnElement[bool]:
    """The alert's payload or one of its camera events contains ``"value"`` (a prefilter)."""
    needle = _quoted(value)
    in_events = exists().where(
        camera_events.c.alert_id == alerts.c.id,
        or_(camera_events.c.status == value,
            cast(camera_events.c.data, Text).contains(needle, autoescape=True)))
    return or_(alerts.c.status == value,
               cast(alerts.c.payload, Text).contains(needle, autoescape=True), in_events)


def _cameras_of(payload: dict[str, Any], events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every camera view of an alert: webhook cameras, then routed camera events."""
    cams = [c for c in payload.get("cameras") or [] if isinstance(c, dict)]
    return cams + list(events)


def _matches(flt: AlertFilter, status: str, cameras: list[dict[str, Any]]) -> bool:
    if flt.status and status != flt.status and all(c.get("status") != flt.status
                                                   for c in cameras):
        return False
    if flt.tag and all(flt.tag not in (c.get("tags") or ()) for c in cameras):
        return False
    if flt.anomaly:
        wanted = label_key(flt.anomaly)
        return any(wanted in {label_key(str(a)) for a in (c.get("anomalies") or ())}
                   for c in cameras)
    return True


def _event_data(conn: Connection, alert_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {a: [] for a in alert_ids}
    if alert_ids:
        for row in conn.execute(select(camera_events.c.alert_id, camera_events.c.data)
                                .where(camera_events.c.alert_id.in_(alert_ids))):
            found[row.alert_id].append(row.data)
    return found


def _exact(flt: AlertFilter) -> Keep | None:
    if not (flt.tag or flt.anomaly or flt.status):
        return None

    def keep(conn: Connection, rows: Sequence[Row[Any]]) -> list[Row[Any]]:
        events = _event_data(conn, [r.id for r in rows])
        return [r for r in rows if _matches(flt, r.status, _cameras_of(r.payload, events[r.id]))]

    return keep


def list_alerts(conn: Connection, flt: AlertFilter, window: Window) -> Page:
    """Alerts newest first, with what they said and how far they got."""
    query = select(alerts.c.id, alerts.c.received_at.label("ts"), alerts.c.license,
                   alerts.c.label, alerts.c.status, alerts.c.camera_count,
                   alerts.c.duplicates, alerts.c.source, alerts.c.payload,
                   alerts.c.inbox_state).where(*_alert_where(flt))
    page = scan(conn, query, alerts.c.received_at, alerts.c.id, window, _exact(flt),
                parts=ALERT_PARTS)
    states = _delivery_states(conn, [r["id"] for r in page.rows])
    page.rows = [_summary(r, states.get(r["id"], {})) for r in page.rows]
    return page


def _summary(row: dict[str, Any], states: dict[str, int]) -> dict[str, Any]:
    payload = row.pop("payload") or {}
    cams = [c for c in payload.get("cameras") or [] if isinstance(c, dict)]
    row["received_at"] = row.pop("ts")
    row["tags"] = sorted({str(t) for c in cams for t in c.get("tags") or ()})
    row["anomalies"] = sorted({str(a) for c in cams for a in c.get("anomalies") or ()})
    row["cameras"] = [{"serial": c.get("serial"), "name": c.get("name"),
                       "status": c.get("status")} for c in cams[:10]]
    row["deliveries"] = states
    return row


def note_links(alert_ids: Sequence[int]) -> Any:
    """(alert_id, notification_id) pairs: a grouped notification may span many alerts."""
    parts: list[Select[Any]] = [
        select(notes.c.alert_id.label("alert_id"), notes.c.id.label("nid"))
        .where(notes.c.alert_id.in_(alert_ids)),
        select(decisions.c.alert_id, decisions.c.notification_id)
        .where(decisions.c.alert_id.in_(alert_ids), decisions.c.notification_id.is_not(None)),
    ]
    items = schema_groups.group_items
    if items is not None:
        parts.append(select(items.c.alert_id, items.c.notification_id)
                     .where(items.c.alert_id.in_(alert_ids),
                            items.c.notification_id.is_not(None)))
    return union(*parts).subquery()


def _delivery_states(conn: Connection, alert_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = {}
    if not alert_ids:
        return found
    links = note_links(alert_ids)
    rows = conn.execute(
        select(links.c.alert_id, deliveries.c.state, func.count())
        .join(deliveries, deliveries.c.notification_id == links.c.nid)
        .group_by(links.c.alert_id, deliveries.c.state))
    for alert_id, state, count in rows:
        found.setdefault(alert_id, {})[state] = count
    return found

