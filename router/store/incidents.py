"""Incidents in the store: opened and joined while routing, resolved by the tracker or
a webhook, acknowledged by people, and their timeline.

Every function here runs inside the caller's write transaction, so an incident
changes together with the routing, flush or tracker record that changed it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from router.errors import IncidentNotFound, Refused
from router.model import CameraEvent, Status
from router.model.groups import CameraKey
from router.model.incidents import IncidentFacts, Resolution, incident_condition, open_key
from router.store.schema_groups import camera_state, incident_events, incidents, notification_log
from router.store.schema_upstream import state_cursors

_CHUNK = 400


def note(conn: Connection, incident_id: int, kind: str, detail: str, now: float, *,
         receiver: str | None = None, notification_id: int | None = None) -> None:
    """Add a line to an incident's timeline."""
    conn.execute(insert(incident_events).values(
        incident_id=incident_id, at=now, kind=kind, receiver=receiver,
        notification_id=notification_id, detail=detail))


def observe(conn: Connection, routed: Sequence[tuple[CameraEvent, int]], *, alert_id: int,
            now: float) -> int:
    """Open or join the incidents of routed, not-normal camera events (with their ids).

    The same condition joins the open incident (latest data, no timeline line per
    re-post); another condition ends it as superseded and opens a new one. Returns
    how many incidents were opened. A few statements per alert, whatever its size.
    """
    latest_of = {(e.license, e.serial): (e, i) for e, i in routed if e.status is not Status.NORMAL}
    if not latest_of:
        return 0
    current = _open_rows(conn, sorted(latest_of))
    joins, opens = [], []
    for key, (event, event_id) in latest_of.items():
        condition = incident_condition(event)
        row = current.get(key)
        if row is not None and row.condition == condition:
            joins.append({"b_id": row.id, "b_event": event_id, "b_data": event.to_dict(),
                          "b_tags": list(event.tags)})
            continue
        if row is not None:
            _end(conn, row.id, "superseded", f"condition changed to {condition}", now)
        opens.append(_new_row(event, condition, event_id, alert_id, now))
    if joins:
        conn.execute(update(incidents).where(incidents.c.id == bindparam("b_id")).values(
            last_event_at=now, updated_at=now, last_camera_event_id=bindparam("b_event"),
            events=incidents.c.events + 1, data=bindparam("b_data", type_=incidents.c.data.type),
            tags=bindparam("b_tags", type_=incidents.c.tags.type)),
            joins)
    if opens:
        new = conn.execute(insert(incidents).returning(incidents.c.id, incidents.c.condition),
                           opens).all()
        conn.execute(insert(incident_events), [
            {"incident_id": r.id, "at": now, "kind": "opened", "receiver": None,
             "notification_id": None, "detail": f"alert {alert_id}: {r.condition}"}
            for r in new])
    return len(opens)


def _open_rows(conn: Connection, keys: Sequence[CameraKey]) -> dict[CameraKey, Any]:
    """The cameras' open incidents, locked for this transaction."""
    found: dict[CameraKey, Any] = {}
    for start in range(0, len(keys), _CHUNK):
        wanted = [open_key(*k) for k in keys[start:start + _CHUNK]]
        for r in conn.execute(select(incidents).where(incidents.c.open_key.in_(wanted))
                              .order_by(incidents.c.id).with_for_update()).all():
            found[(r.license, r.serial)] = r
    return found


def _new_row(event: CameraEvent, condition: str, event_id: int, alert_id: int,
             now: float) -> dict[str, Any]:
    return {"license": event.license, "serial": event.serial,
            "name": event.name or event.serial, "tags": list(event.tags),
            "condition": condition, "open_key": open_key(event.license, event.serial),
            "state": "open", "opened_at": now, "last_event_at": now, "updated_at": now,
            "first_alert_id": alert_id, "last_camera_event_id": event_id, "events": 1,
            "data": event.to_dict(), "notified": False}


def open_incident(conn: Connection, license: str, serial: str, *, lock: bool = False
                  ) -> Any | None:
    """The camera's open (or acknowledged) incident, if any."""
    stmt = select(incidents).where(incidents.c.open_key == open_key(license, serial))
    return conn.execute(stmt.with_for_update() if lock else stmt).first()


def resolve(conn: Connection, license: str, serial: str, now: float, *, how: Resolution,
            detail: str, normal_since: float | None = None) -> Any | None:
    """End the camera's open incident (None if there is none).

    With ``normal_since`` (when the camera was seen normal), only an incident
    whose last event came before that: a normal log older than the newest problem
    says nothing about it.
    """
    current = open_incident(conn, license, serial, lock=True)
    if current is None or (normal_since is not None and normal_since <= current.last_event_at):
        return None
    _end(conn, current.id, how, detail, now)
    return current


def _end(conn: Connection, incident_id: int, how: Resolution, detail: str,
         now: float) -> None:
    conn.execute(update(incidents).where(incidents.c.id == incident_id).values(
        state="resolved", open_key=None, resolved_at=now, resolution=how,
        resolution_detail=detail, updated_at=now))
    note(conn, incident_id, "superseded" if how == "superseded" else "resolved", detail, now)


def acknowledge(conn: Connection, incident_id: int, *, by: str, comment: str,
                now: float) -> tuple[Any, bool]:
    """Acknowledge an open incident: no more reminders. Returns the incident row, and
    whether it was acknowledged before (the first acknowledgement stands).

    IncidentNotFound for an unknown id; Refused when it is resolved already.
    """
    row = conn.execute(select(incidents).where(incidents.c.id == incident_id)
                       .with_for_update()).first()
    if row is None:
        raise IncidentNotFound(f"no incident {incident_id}")
    if row.state == "resolved":
        raise Refused(f"incident {incident_id} is resolved already")
    if row.state == "acknowledged":
        return row, True
    conn.execute(update(incidents).where(incidents.c.id == incident_id).values(
        state="acknowledged", acked_at=now, acked_by=by, ack_comment=comment,
        updated_at=now))
    conn.execute(update(notification_log)
                 .where(notification_log.c.license == row.license,
                        notification_log.c.serial == row.serial)
                 .values(remind_at=None))
    note(conn, incident_id, "acknowledged",
         f"by {by}" + (f": {comment}" if comment else ""), now)
    return conn.execute(select(incidents).where(incidents.c.id == incident_id)).one(), False


def told(conn: Connection, license: str, serial: str) -> list[Any]:
    """The notification log rows of receivers told this camera is not normal."""
    return list(conn.execute(
        select(notification_log)
        .where(notification_log.c.license == license, notification_log.c.serial == serial,
               notification_log.c.state == "firing")
        .order_by(notification_log.c.id)).all())


def latest(conn: Connection, cameras: Iterable[CameraKey]) -> dict[CameraKey, Any]:
    """Each camera's newest incident (open, acknowledged or just resolved)."""
    wanted = sorted(set(cameras))
    found: dict[CameraKey, Any] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        serials = sorted({s for _, s in chunk})
        rows = conn.execute(select(incidents).where(incidents.c.serial.in_(serials))
                            .order_by(incidents.c.id)).all()
        keep = set(chunk)
        for r in rows:
            if (r.license, r.serial) in keep:
                found[(r.license, r.serial)] = r
    return found


def record_sent(conn: Connection, sent: Mapping[CameraKey, tuple[str, int, str]],
                receiver: str, now: float) -> None:
    """Timeline lines for cameras a flush sent: camera -> (kind, notification id, why)."""
    if not sent:
        return
    rows = latest(conn, sent)
    told, lines = [], []
    for camera, (kind, notification_id, why) in sent.items():
        row = rows.get(camera)
        if row is None or (kind != "resolved" and row.state == "resolved"):
            continue
        if kind != "resolved" and not row.notified:
            told.append(row.id)
        lines.append({"incident_id": row.id, "at": now, "kind": kind, "receiver": receiver,
                      "notification_id": notification_id, "detail": why})
    for start in range(0, len(told), _CHUNK):
        conn.execute(update(incidents).where(incidents.c.id.in_(told[start:start + _CHUNK]))
                     .values(notified=True))
    if lines:
        conn.execute(insert(incident_events), lines)


def facts_of(conn: Connection, cameras: Iterable[CameraKey], *, now: float,
             stale_after: float | None) -> dict[CameraKey, IncidentFacts]:
    """Each camera's newest incident with what the tracker read last.

    ``stale_after``: seconds after which a license's last tracker round is too old to
    speak for it (None: the tracker is off, so everything is stale).
    """
    wanted = sorted(set(cameras))
    rows = latest(conn, wanted)
    if not rows:
        return {}
    states = {(r.license, r.serial): r for r in conn.execute(
        select(camera_state.c.license, camera_state.c.serial, camera_state.c.log_at,
               camera_state.c.log_status, camera_state.c.log_data)
        .where(camera_state.c.serial.in_(sorted({s for _, s in rows})))).all()}
    checked = dict(conn.execute(
        select(state_cursors.c.license, func.max(state_cursors.c.checked_at))
        .where(state_cursors.c.license.in_(sorted({lic for lic, _ in rows})))
        .group_by(state_cursors.c.license)).all())
    found = {}
    for key, r in rows.items():
        st = states.get(key)
        round_at = checked.get(key[0])
        stale = stale_after is None or round_at is None or now - round_at > stale_after
        data = (st.log_data or {}) if st is not None else {}
        found[key] = IncidentFacts(
            id=int(r.id), state=r.state, condition=r.condition, opened_at=r.opened_at,
            acked_by=r.acked_by, checked_at=round_at if st is not None and st.log_at else None,
            api_status=st.log_status if st is not None else None,
            api_anomalies=dict(data.get("anomalies") or {}), stale=stale)
    return found

