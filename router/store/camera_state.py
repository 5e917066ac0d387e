"""What each camera is doing now: its active conditions and when it was last normal.

Updated from every routed camera event and from the license logs (through
``store.tracked``, the state tracker); read by inhibition (sources), hold-down (recovered
in time?) and resolution (send "back to normal" to whoever was told otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, select, tuple_, update

from router.model import CameraEvent, Status
from router.model.cameras import KnownCamera
from router.model.groups import CameraKey
from router.store.dialect import upsert
from router.store.schema_groups import camera_state

_CHUNK = 400


def observe(conn: Connection, dialect: str, events: Sequence[CameraEvent], now: float) -> None:
    """Fold camera events into the cameras' state (inside the routing transaction)."""
    if not events:
        return
    latest = {(e.license, e.serial): e for e in events}
    keys = sorted(latest)
    conn.execute(
        upsert(dialect, camera_state).on_conflict_do_nothing(
            index_elements=["license", "serial"]),
        [{"license": k[0], "serial": k[1], "status": latest[k].status.value, "active": {},
          "tags": list(latest[k].tags), "updated_at": now} for k in keys])
    current = _rows(conn, keys, lock=True)
    changes = []
    for key in keys:
        active = dict(current[key].active or {})
        for event in (e for e in events if (e.license, e.serial) == key):
            active = {} if event.status is Status.NORMAL else {
                **active, event.status.value: event.to_dict()}
        event = latest[key]
        normal = event.status is Status.NORMAL
        changes.append({"b_license": key[0], "b_serial": key[1], "status": event.status.value,
                        "active": active, "tags": list(event.tags), "updated_at": now,
                        "last_normal_at": now if normal else current[key].last_normal_at})
    conn.execute(
        update(camera_state)
        .where(camera_state.c.license == bindparam("b_license"),
               camera_state.c.serial == bindparam("b_serial")),
        changes)


def mark_normal(conn: Connection, dialect: str, license: str, serial: str, now: float) -> None:
    conn.execute(
        upsert(dialect, camera_state)
        .values(license=license, serial=serial, status=Status.NORMAL.value, active={},
                tags=[], updated_at=now, last_normal_at=now)
        .on_conflict_do_update(index_elements=["license", "serial"],
                               set_={"status": Status.NORMAL.value, "active": {},
                                     "updated_at": now, "last_normal_at": now}))


def last_normal(conn: Connection, cameras: Iterable[CameraKey]) -> dict[CameraKey, float]:
    rows = _rows(conn, sorted(set(cameras)), lock=False)
    return {k: r.last_normal_at for k, r in rows.items() if r.last_normal_at is not None}


def known_cameras(conn: Connection, licenses: Iterable[str]) -> list[KnownCamera]:
    rows = conn.execute(select(camera_state)
                        .where(camera_state.c.license.in_(sorted(set(licenses))))).all()
    return [KnownCamera(r.license, r.serial, tuple(r.tags or ()),
                        tuple(CameraEvent.from_dict(d) for d in (r.active or {}).values()))
            for r in rows]


def _rows(conn: Connection, keys: Sequence[CameraKey], *, lock: bool) -> dict[CameraKey, Any]:
    found: dict[CameraKey, Any] = {}
    for start in range(0, len(keys), _CHUNK):
        stmt = (select(camera_state)
                .where(tuple_(camera_state.c.license, camera_state.c.serial)
                       .in_(keys[start:start + _CHUNK]))
                .order_by(camera_state.c.license, camera_state.c.serial))
        for r in conn.execute(stmt.with_for_update() if lock else stmt).all():
            found[(r.license, r.serial)] = r
    return found
