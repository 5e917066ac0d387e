"""Polling mode: upstream alerts enter the inbox without any webhook.

For sites that cannot expose a public URL. Every ``ROUTER_POLL_INTERVAL``
seconds, the replica holding the ``poller`` lease lists the alerts of every
license the token sees, since the newest ``created`` already taken (kept in
the store per license), following ``next`` links. Each new alert becomes the
webhook body VisionAlert would have sent and goes through the same
``accept_alert`` as a webhook (``source="poll"``); the upstream alert id is
recorded with a unique key, so an alert listed twice (the cursor is
inclusive, and a restart lists again from it) is fed once. A crash between
accepting an alert and recording its id is covered by the ingest dedup: the
same body within ``ROUTER_DEDUP_WINDOW`` is the same alert.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import threading
from typing import Protocol

from sqlalchemy import select

from router.clock import Clock, iso
from router.settings import Settings
from router.store import leases
from router.store.db import Database
from router.store.dialect import upsert
from router.store.ingest import accept_alert
from router.store.schema_upstream import poll_cursors, polled_alerts
from router.upstream import Upstream, UpstreamError
from router.upstream.models import Alert
from router.upstream.payload import parse_payload
from router.upstream.polled import polled_body

log = logging.getLogger(__name__)

LEASE = "poller"
DEFAULT_INTERVAL = 60.0


class Parts(Protocol):
    """What the poller needs of a process (``pipeline.runtime.Runtime`` has it)."""

    settings: Settings
    db: Database
    clock: Clock

    @property
    def upstream(self) -> Upstream: ...


class Poller:
    def __init__(self, runtime: Parts, upstream: Upstream | None = None,
                 owner: str | None = None) -> None:
        self.rt = runtime
        self.upstream = upstream or runtime.upstream
        self.account = self.upstream.cache.account
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:poller"
        self.interval = runtime.settings.poll_interval or DEFAULT_INTERVAL

    def run(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set, while holding the lease; hand it back at the end."""
        log.info("poller started", extra={"interval": self.interval})
        while not stop.is_set():
            self.step()
            stop.wait(self.interval)
        leases.release(self.rt.db, LEASE, owner=self.owner)

    def step(self) -> int:
        """One round if this replica holds the lease; the number of alerts fed."""
        ttl = max(3 * self.interval, 30.0)
        if not leases.acquire(self.rt.db, LEASE, owner=self.owner, now=self.rt.clock.now(),
                              ttl=ttl):
            return 0
        try:
            return self.poll_once()
        except UpstreamError as exc:
            log.warning("poll failed; next round retries", extra={"error": str(exc)})
        except Exception:
            log.exception("poll failed; next round retries")
        return 0

    def poll_once(self) -> int:
        """List every license's new alerts and feed them into the inbox, oldest first."""
        fed = 0
        for code, license_id in self.upstream.licenses().items():
            fed += self._poll_license(code, license_id)
        return fed

    def _poll_license(self, code: str, license_id: int) -> int:
        db = self.rt.db
        since = _cursor(db, self.account, license_id) or iso(
            self.rt.clock.now() - self.rt.settings.enrich_lookback)
        listed = [a for page in self.upstream.client.alerts(license_id, start=since)
                  for a in page]
        fed = 0
        for alert in sorted(listed, key=lambda a: (a.created_ts, a.id)):
            if self._feed(code, alert):
                fed += 1
            _set_cursor(db, self.account, license_id, alert.created, self.rt.clock.now())
        if fed:
            log.info("alerts polled", extra={"license": code, "alerts": fed})
        return fed

    def _feed(self, code: str, alert: Alert) -> bool:
        """Accept one upstream alert unless it was fed before; True if it is new."""
        db = self.rt.db
        if _fed_before(db, self.account, alert.id) or not alert.cameras:
            return False
        body = polled_body(alert, code)
        raw = json.dumps(body, sort_keys=True).encode()
        now = self.rt.clock.now()
        accepted = accept_alert(db, parse_payload(body), raw_body=raw,
                                content_type="application/json", now=now,
                                dedup_window=self.rt.settings.dedup_window,
                                body_sha256=hashlib.sha256(raw).hexdigest(), source="poll")
        with db.write() as conn:
            conn.execute(upsert(db.dialect, polled_alerts)
                         .values(account=self.account, upstream_alert_id=alert.id,
                                 alert_id=accepted.alert_id, created_at=now)
                         .on_conflict_do_nothing(index_elements=[polled_alerts.c.account,
                                                                 polled_alerts.c.upstream_alert_id]))
        return not accepted.duplicate


def start_poller(runtime: Parts, stop: threading.Event) -> threading.Thread | None:
    """Start polling on a thread when ROUTER_POLL_INTERVAL is set; None when it is off."""
    s = runtime.settings
    if not s.poll_interval:
        return None
    if s.visionalert_token is None:
        log.error("polling needs ROUTER_VISIONALERT_TOKEN; polling is off")
        return None
    thread = threading.Thread(target=Poller(runtime).run, args=(stop,), name="poller",
                              daemon=True)
    thread.start()
    return thread


def _fed_before(db: Database, account: str, upstream_alert_id: int) -> bool:
    with db.read() as conn:
        return conn.execute(select(polled_alerts.c.alert_id).where(
            polled_alerts.c.account == account,
            polled_alerts.c.upstream_alert_id == upstream_alert_id)).first() is not None


def _cursor(db: Database, account: str, license_id: int) -> str | None:
    with db.read() as conn:
        return conn.execute(select(poll_cursors.c.last_created).where(
            poll_cursors.c.account == account,
            poll_cursors.c.license_id == license_id)).scalar_one_or_none()


def _set_cursor(db: Database, account: str, license_id: int, created: str, now: float) -> None:
    with db.write() as conn:
        conn.execute(upsert(db.dialect, poll_cursors)
                     .values(account=account, license_id=license_id, last_created=created,
                             updated_at=now)
                     .on_conflict_do_update(
                         index_elements=[poll_cursors.c.account, poll_cursors.c.license_id],
                         set_={"last_created": created, "updated_at": now}))
