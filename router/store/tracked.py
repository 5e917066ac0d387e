"""What the state tracker learned from a round of license logs, recorded in one
transaction: the cameras' newest logs, the incidents their recovery ends, the
resolved messages that queues, and the license's cursor.

Logs are applied per camera in (created, id) order and only when newer than the
log recorded last, so the overlap between rounds, a page boundary or a log listed
twice changes nothing (de-duplication by log id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, select, tuple_, update

from router.clock import iso
from router.model import Status
from router.model.cameras import CameraLog
from router.model.groups import CameraKey
from router.store import camera_state, incidents
from router.store.db import Database
from router.store.dialect import upsert
from router.store.resolve import resolve as queue_resolved
from router.store.schema_groups import camera_state as camera_state_table
from router.store.schema_upstream import state_cursors

_CHUNK = 400


@dataclass
class RoundResult:
    cameras: int = 0
    applied: int = 0
    resolved: list[int] = field(default_factory=list)  # incident ids
    resolved_after: list[float] = field(default_factory=list)  # seconds each was open
    held_down: int = 0  # resolved before anybody was told
    resolved_messages: int = 0


def cursor(db: Database, account: str, license_id: int) -> str | None:
    with db.read() as conn:
        return conn.execute(select(state_cursors.c.last_created).where(
            state_cursors.c.account == account,
            state_cursors.c.license_id == license_id)).scalar_one_or_none()


def record_round(db: Database, *, account: str, license_id: int, license: str,
                 logs: Sequence[CameraLog], newest: str | None, now: float) -> RoundResult:
    result = RoundResult()
    by_camera: dict[CameraKey, list[CameraLog]] = {}
    for log in logs:
        by_camera.setdefault((log.license, log.serial), []).append(log)
    keys = sorted(by_camera)
    with db.write() as conn:
        tags = {k: by_camera[k][-1].tags for k in keys}
        rows = _locked_rows(conn, db.dialect, keys, tags)
        changes = []
        for key in keys:
            change = _fold(rows[key], sorted(by_camera[key], key=lambda g: g.order), result)
            if change is not None:
                changes.append(change)
        if changes:
            conn.execute(update(camera_state_table).where(
                camera_state_table.c.license == bindparam("b_license"),
                camera_state_table.c.serial == bindparam("b_serial")), changes)
        for change in changes:  # few: only cameras whose newest log is normal
            if change["log_status"] == Status.NORMAL.value:
                key = (change["b_license"], change["b_serial"])
                _recovered(conn, db.dialect, key, by_camera[key], rows[key], now, result)
        result.cameras = len(by_camera)
        _set_cursor(conn, db.dialect, account, license_id, license, newest, now, error=None)
    return result


def record_failure(db: Database, *, account: str, license_id: int, license: str, error: str,
                   now: float) -> None:
    with db.write() as conn:
        _set_cursor(conn, db.dialect, account, license_id, license, None, now, error=error)


def _locked_rows(conn: Connection, dialect: str, keys: Sequence[CameraKey],
                 tags: dict[CameraKey, tuple[str, ...]]) -> dict[CameraKey, Any]:
    """The cameras' state rows, created when new (with the directory's tags, so a camera
    known only from its logs counts in its site), locked for this transaction."""
    if keys:
        conn.execute(upsert(dialect, camera_state_table).on_conflict_do_nothing(
            index_elements=["license", "serial"]),
            [{"license": lic, "serial": serial, "status": Status.NORMAL.value, "active": {},
              "tags": list(tags.get((lic, serial), ())), "updated_at": 0.0}
             for lic, serial in keys])
    found: dict[CameraKey, Any] = {}
    for start in range(0, len(keys), _CHUNK):
        stmt = (select(camera_state_table)
                .where(tuple_(camera_state_table.c.license, camera_state_table.c.serial)
                       .in_(keys[start:start + _CHUNK]))
                .order_by(camera_state_table.c.license, camera_state_table.c.serial)
                .with_for_update())
        for r in conn.execute(stmt).all():
            found[(r.license, r.serial)] = r
    return found


def _fold(row: Any, logs: list[CameraLog], result: RoundResult) -> dict[str, Any] | None:
    """The camera's new log fields from the logs newer than the one recorded (None: none)."""
    seen = (row.log_at, row.log_id) if row.log_at is not None else None
    fresh = [g for g in logs if seen is None or g.order > seen]
    if not fresh:
        return None
    result.applied += len(fresh)
    status, since = row.log_status, row.status_since
    for g in fresh:
        if g.status != status:
            status, since = g.status, g.created
    newest = fresh[-1]
    return {"b_license": row.license, "b_serial": row.serial, "log_id": newest.id,
            "log_at": newest.created, "log_status": newest.status, "status_since": since,
            "log_data": {"anomalies": newest.anomalies, "snapshot": newest.snapshot,
                         "name": newest.name}}


def _recovered(conn: Connection, dialect: str, key: CameraKey, logs: list[CameraLog],
               state: Any, now: float, result: RoundResult) -> None:
    """A normal log newer than the camera's last problem ends that problem."""
    log = max(logs, key=lambda g: g.order)
    if state.status != Status.NORMAL.value and log.created <= state.updated_at:
        return  # the newest event we routed came after this log
    detail = f"normal log {log.id} at {iso(log.created)}"
    if state.status != Status.NORMAL.value:
        camera_state.mark_normal(conn, dialect, key[0], key[1], now)
    ended = incidents.resolve(conn, *key, now, how="tracker", detail=detail,
                              normal_since=log.created)
    if ended is None:
        return
    result.resolved.append(int(ended.id))
    result.resolved_after.append(now - ended.opened_at)
    told = queue_resolved(conn, *key, now)
    result.resolved_messages += told
    if not ended.notified:
        result.held_down += 1
        incidents.note(conn, ended.id, "held_down",
                       "resolved during hold-down: nobody was told", now)


def _set_cursor(conn: Connection, dialect: str, account: str, license_id: int, license: str,
                newest: str | None, now: float, *, error: str | None) -> None:
    values: dict[str, Any] = {"account": account, "license_id": license_id,
                              "license": license, "tried_at": now, "error": error}
    changes: dict[str, Any] = {"tried_at": now, "error": error, "license": license}
    if error is None:
        values["checked_at"] = changes["checked_at"] = now
        if newest is not None:
            values["last_created"] = changes["last_created"] = newest
    conn.execute(upsert(dialect, state_cursors).values(**values).on_conflict_do_update(
        index_elements=[state_cursors.c.account, state_cursors.c.license_id], set_=changes))
