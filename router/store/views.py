"""Read queries behind the admin API and the dashboard. Nothing here writes.

Lists are keyset-paged newest first on ``(time, id)``. Tag, anomaly and status
live inside JSON documents (the webhook payload, camera event data); JSON
operators differ between SQLite and PostgreSQL, so those filters narrow the
rows in SQL with a portable ``LIKE`` on the quoted value and are then checked
exactly in Python. A page scans at most ``SCAN_LIMIT`` rows: a rare filter
value may yield a short page whose ``next`` link goes on scanning.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Row,
    Select,
    Text,
    and_,
    case,
    cast,
    exists,
    func,
    literal_column,
    or_,
    select,
    union,
    union_all,
)

from router.model import label_key
from router.store import schema_groups
from router.store.schema import (
    DONE,
    PENDING,
    alerts,
    attempts,
    camera_events,
    decisions,
    deliveries,
)
from router.store.schema import notifications as notes
from router.store.stats import inbox_backlog

BATCH = 200
SCAN_LIMIT = 5000
# Every alert is in one of these: finished ones are in the time indexes, pending
# ones (few) in their own index (see schema). A query over alerts by time reads
# each part through its index.
ALERT_PARTS: tuple[ColumnElement[bool], ...] = (DONE, PENDING)
Key = tuple[float, int]
# Internal bookkeeping that is no business of a reader.
_HIDDEN = frozenset({"lease_owner", "lease_until", "raw_body", "body_sha256", "target_key"})
_INBOX_COLUMNS = frozenset({"inbox_state", "available_at", "claims", "done_at", "last_error"})


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


@dataclass(frozen=True)
class AlertFilter:
    license: str | None = None
    tag: str | None = None
    status: str | None = None  # a Status value
    anomaly: str | None = None  # canonical anomaly type
    start: float | None = None
    end: float | None = None


# ------------------------------------------------------------------ keyset scan

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
    (partial) index and merged: see :data:`ALERT_PARTS`.
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


# ------------------------------------------------------------------ alerts


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


def _note_links(alert_ids: Sequence[int]) -> Any:
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
    links = _note_links(alert_ids)
    rows = conn.execute(
        select(links.c.alert_id, deliveries.c.state, func.count())
        .join(deliveries, deliveries.c.notification_id == links.c.nid)
        .group_by(links.c.alert_id, deliveries.c.state))
    for alert_id, state, count in rows:
        found.setdefault(alert_id, {})[state] = count
    return found


# ------------------------------------------------------------------ alert detail


def _public(row: Row[Any]) -> dict[str, Any]:
    return {k: v for k, v in row._mapping.items() if k not in _HIDDEN}


def alert_detail(conn: Connection, alert_id: int) -> dict[str, Any] | None:
    """Everything about one alert: as received, per camera, decisions, deliveries, attempts."""
    row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).first()
    if row is None:
        return None
    detail = {k: v for k, v in _public(row).items() if k not in _INBOX_COLUMNS}
    detail["raw_body"] = bytes(row.raw_body).decode("utf-8", errors="replace")
    # The alert row is its own inbox entry; shown apart, as what the worker did with it.
    detail["inbox"] = {"state": row.inbox_state, "claims": row.claims,
                       "created_at": row.received_at, "available_at": row.available_at,
                       "done_at": row.done_at, "last_error": row.last_error}
    detail["camera_events"] = _events(conn, alert_id)
    detail["notifications"] = _notifications(conn, alert_id)
    return detail


def _events(conn: Connection, alert_id: int) -> list[dict[str, Any]]:
    by_event: dict[int, list[dict[str, Any]]] = {}
    for d in conn.execute(select(decisions).where(decisions.c.alert_id == alert_id)
                          .order_by(decisions.c.id)):
        by_event.setdefault(d.camera_event_id, []).append(_public(d))
    found = []
    for ev in conn.execute(select(camera_events).where(camera_events.c.alert_id == alert_id)
                           .order_by(camera_events.c.idx)):
        data = dict(ev.data)
        data.update(id=ev.id, created_at=ev.created_at, decisions=by_event.get(ev.id, []))
        found.append(data)
    return found


def _notifications(conn: Connection, alert_id: int) -> list[dict[str, Any]]:
    links = _note_links([alert_id])
    found = [_public(n) for n in conn.execute(
        select(notes).where(notes.c.id.in_(select(links.c.nid))).order_by(notes.c.id))]
    ids = [n["id"] for n in found]
    by_note = _deliveries_with_attempts(conn, deliveries.c.notification_id.in_(ids))
    for n in found:
        n["deliveries"] = [d for d in by_note if d["notification_id"] == n["id"]]
    return found


def _deliveries_with_attempts(conn: Connection,
                              where: ColumnElement[bool]) -> list[dict[str, Any]]:
    rows = [_public(d) for d in conn.execute(select(deliveries).where(where)
                                              .order_by(deliveries.c.id))]
    log = attempt_log(conn, [d["id"] for d in rows])
    for d in rows:
        d["attempt_count"] = d.pop("attempts")
        d["attempts"] = log.get(d["id"], [])
    return rows


def attempt_log(conn: Connection, delivery_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Every attempt of the given deliveries, in order."""
    found: dict[int, list[dict[str, Any]]] = {}
    if delivery_ids:
        for a in conn.execute(select(attempts).where(attempts.c.delivery_id.in_(delivery_ids))
                              .order_by(attempts.c.delivery_id, attempts.c.number)):
            found.setdefault(a.delivery_id, []).append(_public(a))
    return found


def camera_images(conn: Connection, alert_id: int, idx: int) -> dict[str, str | None] | None:
    """The snapshot and reference URLs of one camera of an alert (routed or still waiting)."""
    row = conn.execute(select(camera_events.c.data).where(
        camera_events.c.alert_id == alert_id, camera_events.c.idx == idx)).first()
    if row is not None:
        return {"snapshot": row.data.get("snapshot_url"),
                "reference": row.data.get("reference_url")}
    payload = conn.execute(select(alerts.c.payload).where(alerts.c.id == alert_id)).scalar()
    cams = (payload or {}).get("cameras") or []
    if not 0 <= idx < len(cams):
        return None
    return {"snapshot": cams[idx].get("latest_image"),
            "reference": cams[idx].get("reference_image")}


# ------------------------------------------------------------------ deliveries

DELIVERY_STATES = ("failing", "dead", "pending", "delivered")


def _delivery_where(state: str | None) -> list[ColumnElement[bool]]:
    if state == "failing":  # still being retried after at least one failed attempt
        return [deliveries.c.state == "pending", deliveries.c.attempts > 0]
    return [deliveries.c.state == state] if state else []


def list_deliveries(conn: Connection, state: str | None, window: Window) -> Page:
    """Deliveries newest first; ``state`` is one of DELIVERY_STATES or None."""
    query = (select(deliveries.c.id, deliveries.c.created_at.label("ts"), deliveries.c.receiver,
                    deliveries.c.target, deliveries.c.state, deliveries.c.attempts,
                    deliveries.c.next_attempt_at, deliveries.c.finished_at,
                    deliveries.c.last_error, notes.c.alert_id, notes.c.route, notes.c.title)
             .join(notes, notes.c.id == deliveries.c.notification_id)
             .where(*_delivery_where(state)))
    page = scan(conn, query, deliveries.c.created_at, deliveries.c.id, window)
    for r in page.rows:
        r["created_at"] = r.pop("ts")
    return page


# ------------------------------------------------------------------ overview

DAY = 86400.0


def overview(conn: Connection, now: float) -> dict[str, Any]:
    """The numbers on the dashboard's first page."""
    return {
        "alerts_24h": _alerts_24h(conn, now),
        "cameras_in_trouble": cameras_in_trouble(conn),
        "inbox": _inbox(conn, now),
        "failing_targets": failing_targets(conn, now),
        "dead_letters": conn.execute(select(func.count()).select_from(deliveries)
                                     .where(deliveries.c.state == "dead")).scalar_one(),
    }


def _alerts_24h(conn: Connection, now: float) -> dict[str, Any]:
    rows = [row for part in ALERT_PARTS
            for row in conn.execute(select(alerts.c.status, alerts.c.label, func.count())
                                    .where(part, alerts.c.received_at >= now - DAY)
                                    .group_by(alerts.c.status, alerts.c.label))]
    by_status: dict[str, int] = {}
    by_anomaly: dict[str, int] = {}
    for status, label, count in rows:
        by_status[status] = by_status.get(status, 0) + count
        if status == "anomaly":
            name = label or "Anomaly"
            by_anomaly[name] = by_anomaly.get(name, 0) + count
    return {"total": sum(by_status.values()), "by_status": by_status, "by_anomaly": by_anomaly}


def cameras_in_trouble(conn: Connection, limit: int = 50) -> dict[str, Any]:
    """Cameras not ``normal`` now: the lifecycle's camera state, else their latest event."""
    state = schema_groups.camera_state
    if state is not None:
        return _trouble_from_state(conn, state, limit)
    return _trouble_from_events(conn, limit)


def _trouble_from_state(conn: Connection, state: Any, limit: int) -> dict[str, Any]:
    query = select(state).where(state.c.status != "normal")
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    cameras = []
    for r in conn.execute(query.order_by(state.c.updated_at.desc()).limit(limit)):
        latest = (r.active or {}).get(r.status) or {}
        cameras.append({"serial": r.serial, "name": latest.get("name") or r.serial,
                        "license": r.license, "status": r.status,
                        "anomalies": latest.get("anomalies") or {}, "tags": r.tags or [],
                        "alert_id": latest.get("alert_id"), "since": r.updated_at})
    return {"total": total, "cameras": cameras}


def _trouble_from_events(conn: Connection, limit: int) -> dict[str, Any]:
    latest = (select(func.max(camera_events.c.id).label("id"))
              .group_by(camera_events.c.license, camera_events.c.serial).subquery())
    query = (select(camera_events.c.alert_id, camera_events.c.serial, camera_events.c.license,
                    camera_events.c.status, camera_events.c.data, camera_events.c.created_at)
             .join(latest, latest.c.id == camera_events.c.id)
             .where(camera_events.c.status != "normal"))
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(query.order_by(camera_events.c.created_at.desc()).limit(limit)).all()
    cameras = [{"serial": r.serial, "name": r.data.get("name"), "license": r.license,
                "status": r.status, "anomalies": r.data.get("anomalies") or {},
                "tags": r.data.get("tags") or [], "alert_id": r.alert_id,
                "since": r.created_at} for r in rows]
    return {"total": total, "cameras": cameras}


def _inbox(conn: Connection, now: float) -> dict[str, Any]:
    depth, oldest = inbox_backlog(conn)
    return {"depth": depth, "oldest_age": None if oldest is None else max(0.0, now - oldest)}


def failing_targets(conn: Connection, now: float, limit: int = 50) -> list[dict[str, Any]]:
    """Targets with deliveries being retried, or dead in the last 24 h."""
    failing = or_(and_(deliveries.c.state == "pending", deliveries.c.attempts > 0),
                  and_(deliveries.c.state == "dead", deliveries.c.finished_at >= now - DAY))
    rows = conn.execute(
        select(deliveries.c.receiver, deliveries.c.target,
               func.sum(_flag(deliveries.c.state == "pending")).label("retrying"),
               func.sum(_flag(deliveries.c.state == "dead")).label("dead"),
               func.max(deliveries.c.id).label("last_id"))
        .where(failing).group_by(deliveries.c.receiver, deliveries.c.target)
        .order_by(func.max(deliveries.c.id).desc()).limit(limit)).all()
    errors = dict(conn.execute(select(deliveries.c.id, deliveries.c.last_error)
                               .where(deliveries.c.id.in_([r.last_id for r in rows]))).all())
    return [{"receiver": r.receiver, "target": r.target, "retrying": int(r.retrying or 0),
             "dead": int(r.dead or 0), "last_error": errors.get(r.last_id)} for r in rows]


def _flag(cond: ColumnElement[bool]) -> ColumnElement[int]:
    return case((cond, 1), else_=0)
