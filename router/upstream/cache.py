"""The enrichment cache in the store: what the workers learned from the API, shared.

Writers never call the network inside a transaction: the caller fetches, then
stores in one short write. Concurrent refreshes are harmless: rows are
upserted, and a newer fact never loses to an older one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, select, update

from router.store.db import Database
from router.store.dialect import upsert
from router.store.schema_upstream import (
    upstream_accounts,
    upstream_alert_cameras,
    upstream_cameras,
    upstream_license_state,
    upstream_licenses,
    upstream_references,
)
from router.upstream.accounts import ensure_account
from router.upstream.models import Alert, AlertCamera, Camera, License, parse_timestamp


@dataclass(frozen=True)
class AlertFact:
    """One camera entry of one upstream alert."""

    upstream_alert_id: int
    serial: str
    created: str
    created_ts: float
    status: str
    anomalies: dict[str, float]
    snapshot: str | None
    reference_image: str | None


@dataclass(frozen=True)
class CameraFact:
    """One camera of the directory."""

    serial: str
    name: str
    tags: list[str]
    notes: str | None
    latest_status: str | None


@dataclass(frozen=True)
class LicenseState:
    listed_at: float | None = None
    newest_created: str | None = None
    directory_at: float | None = None


class Cache:
    def __init__(self, db: Database, account: str) -> None:
        self.db, self.account = db, account

    # -- licenses ----------------------------------------------------------------------
    def license_id(self, code: str) -> tuple[int | None, float | None]:
        """(id or None, when the license list was last fetched or None)."""
        with self.db.read() as conn:
            found = conn.execute(select(upstream_licenses.c.license_id).where(
                upstream_licenses.c.account == self.account,
                upstream_licenses.c.code == code)).scalar_one_or_none()
            fetched = conn.execute(select(upstream_accounts.c.licenses_fetched_at).where(
                upstream_accounts.c.account == self.account)).scalar_one_or_none()
        return found, fetched

    def all_licenses(self) -> tuple[dict[str, int], float | None]:
        """(code -> id of every cached license, when the list was fetched or None)."""
        with self.db.read() as conn:
            rows = conn.execute(select(upstream_licenses.c.code, upstream_licenses.c.license_id)
                                .where(upstream_licenses.c.account == self.account)).all()
            fetched = conn.execute(select(upstream_accounts.c.licenses_fetched_at).where(
                upstream_accounts.c.account == self.account)).scalar_one_or_none()
        return {r.code: r.license_id for r in rows}, fetched

    def store_licenses(self, licenses: Sequence[License], now: float) -> None:
        with self.db.write() as conn:
            ensure_account(conn, self.db.dialect, self.account)
            conn.execute(delete(upstream_licenses)
                         .where(upstream_licenses.c.account == self.account))
            if licenses:
                conn.execute(upstream_licenses.insert(), [
                    {"account": self.account, "code": lic.code, "license_id": lic.id,
                     "fetched_at": now} for lic in licenses])
            conn.execute(update(upstream_accounts)
                         .where(upstream_accounts.c.account == self.account)
                         .values(licenses_fetched_at=now))

    # -- per-license freshness -------------------------------------------------------------
    def license_state(self, license_id: int) -> LicenseState:
        with self.db.read() as conn:
            return self._state_in(conn, license_id)

    def _set_state(self, conn: Connection, license_id: int, **values: Any) -> None:
        conn.execute(
            upsert(self.db.dialect, upstream_license_state)
            .values(account=self.account, license_id=license_id, **values)
            .on_conflict_do_update(index_elements=[upstream_license_state.c.account,
                                                   upstream_license_state.c.license_id],
                                   set_=values))

    # -- alerts ------------------------------------------------------------------------
    def store_listing(self, license_id: int, alerts: Sequence[Alert], *, started_at: float,
                      prune_before: float) -> None:
        """Merge a listing fetched from ``started_at`` on; drop entries older than prune_before."""
        rows = [_alert_row(self.account, license_id, alert, cam)
                for alert in alerts for cam in alert.cameras]
        with self.db.write() as conn:
            if rows:
                t = upstream_alert_cameras
                conn.execute(upsert(self.db.dialect, t).on_conflict_do_nothing(
                    index_elements=[t.c.account, t.c.upstream_alert_id, t.c.serial]), rows)
            conn.execute(delete(upstream_alert_cameras).where(
                upstream_alert_cameras.c.account == self.account,
                upstream_alert_cameras.c.license_id == license_id,
                upstream_alert_cameras.c.created_ts < prune_before))
            state = self._state_in(conn, license_id)
            newest = _newest(state.newest_created, (a.created for a in alerts))
            if state.listed_at is None or started_at > state.listed_at:
                self._set_state(conn, license_id, listed_at=started_at, newest_created=newest)
            elif newest != state.newest_created:
                self._set_state(conn, license_id, newest_created=newest)

    def alert_facts(self, license_id: int, serials: Iterable[str], *, since: float,
                    until: float) -> dict[str, list[AlertFact]]:
        """Entries per serial with ``since <= created <= until``, newest first."""
        wanted = list(dict.fromkeys(serials))
        t = upstream_alert_cameras
        with self.db.read() as conn:
            rows = conn.execute(
                select(t.c.upstream_alert_id, t.c.serial, t.c.created, t.c.created_ts,
                       t.c.status, t.c.anomalies, t.c.snapshot, t.c.reference_image)
                .where(t.c.account == self.account, t.c.license_id == license_id,
                       t.c.serial.in_(wanted), t.c.created_ts >= since,
                       t.c.created_ts <= until)
                .order_by(t.c.created_ts.desc(), t.c.upstream_alert_id.desc())).all()
        found: dict[str, list[AlertFact]] = {}
        for r in rows:
            found.setdefault(r.serial, []).append(AlertFact(
                r.upstream_alert_id, r.serial, r.created, r.created_ts, r.status,
                dict(r.anomalies), r.snapshot, r.reference_image))
        return found

    # -- camera directory ------------------------------------------------------------------
    def cameras(self, license_id: int, serials: Iterable[str]) -> dict[str, CameraFact]:
        t = upstream_cameras
        with self.db.read() as conn:
            rows = conn.execute(
                select(t.c.serial, t.c.name, t.c.tags, t.c.notes, t.c.latest_status)
                .where(t.c.account == self.account, t.c.license_id == license_id,
                       t.c.serial.in_(list(set(serials))))).all()
        return {r.serial: CameraFact(r.serial, r.name, list(r.tags), r.notes, r.latest_status)
                for r in rows}

    def known_serials(self, license_id: int) -> set[str]:
        t = upstream_cameras
        with self.db.read() as conn:
            return set(conn.execute(select(t.c.serial).where(
                t.c.account == self.account, t.c.license_id == license_id)).scalars())

    def store_cameras(self, license_id: int, cameras: Sequence[Camera], *, now: float,
                      complete: bool) -> None:
        """Upsert cameras; a ``complete`` walk also drops cameras upstream no longer has."""
        t = upstream_cameras
        with self.db.write() as conn:
            for cam in cameras:
                values = {"camera_id": cam.id, "name": cam.name or cam.serial,
                          "tags": list(cam.tags), "notes": cam.notes or None,
                          "latest_status": cam.latest_status, "fetched_at": now}
                conn.execute(upsert(self.db.dialect, t)
                             .values(account=self.account, license_id=license_id,
                                     serial=cam.serial, **values)
                             .on_conflict_do_update(
                                 index_elements=[t.c.account, t.c.license_id, t.c.serial],
                                 set_=values))
            if complete:
                conn.execute(delete(t).where(t.c.account == self.account,
                                             t.c.license_id == license_id,
                                             t.c.fetched_at < now))
                self._set_state(conn, license_id, directory_at=now)

    # -- reference images ---------------------------------------------------------------------
    def references(self, license_id: int, serials: Iterable[str], *,
                   fresh_after: float) -> dict[str, str | None]:
        t = upstream_references
        with self.db.read() as conn:
            rows = conn.execute(
                select(t.c.serial, t.c.url)
                .where(t.c.account == self.account, t.c.license_id == license_id,
                       t.c.serial.in_(list(set(serials))), t.c.fetched_at >= fresh_after)).all()
        return {r.serial: r.url for r in rows}

    def store_reference(self, license_id: int, serial: str, url: str | None,
                        now: float) -> None:
        t = upstream_references
        with self.db.write() as conn:
            conn.execute(upsert(self.db.dialect, t)
                         .values(account=self.account, license_id=license_id, serial=serial,
                                 url=url, fetched_at=now)
                         .on_conflict_do_update(
                             index_elements=[t.c.account, t.c.license_id, t.c.serial],
                             set_={"url": url, "fetched_at": now}))

    def _state_in(self, conn: Connection, license_id: int) -> LicenseState:
        row = conn.execute(select(
            upstream_license_state.c.listed_at, upstream_license_state.c.newest_created,
            upstream_license_state.c.directory_at).where(
            upstream_license_state.c.account == self.account,
            upstream_license_state.c.license_id == license_id)).first()
        return LicenseState(*row) if row else LicenseState()


def _alert_row(account: str, license_id: int, alert: Alert,
               cam: AlertCamera) -> dict[str, Any]:
    return {"account": account, "upstream_alert_id": alert.id, "serial": cam.serial,
            "license_id": license_id, "created": alert.created,
            "created_ts": alert.created_ts, "status": cam.status,
            "anomalies": dict(cam.anomalies), "snapshot": cam.snapshot,
            "reference_image": cam.reference_image}


def _newest(current: str | None, created: Iterable[str]) -> str | None:
    """The latest of upstream's timestamp texts, compared as instants, kept as text."""
    best = current
    for text in created:
        if best is None or parse_timestamp(text) > parse_timestamp(best):
            best = text
    return best
