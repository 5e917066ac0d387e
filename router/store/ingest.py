"""The receive path's only write: alert row + inbox entry, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select, update

from router.payload import ParsedAlert
from router.store.db import Database
from router.store.dialect import upsert
from router.store.schema import alerts, dedup, inbox


@dataclass(frozen=True)
class Accepted:
    alert_id: int
    duplicate: bool


def accept_alert(
    db: Database,
    alert: ParsedAlert,
    *,
    raw_body: bytes,
    content_type: str,
    now: float,
    dedup_window: float,
    body_sha256: str,
    source: str = "webhook",
) -> Accepted:
    """Store a webhook durably, or recognise it as a duplicate of one stored recently."""
    with db.write() as conn:
        # Claim the content key first. The conditional upsert is a single-row
        # decision under the key's lock, so two identical webhooks racing on two
        # web workers cannot both be accepted.
        claim = (
            upsert(db.dialect, dedup)
            .values(key=alert.dedup_key, alert_id=None, seen_at=now)
            .on_conflict_do_update(
                index_elements=[dedup.c.key],
                set_={"alert_id": None, "seen_at": now},
                where=dedup.c.seen_at <= now - dedup_window,
            )
            .returning(dedup.c.key)
        )
        if conn.execute(claim).first() is None:
            original = conn.execute(
                select(dedup.c.alert_id).where(dedup.c.key == alert.dedup_key)
            ).scalar_one()
            conn.execute(
                update(alerts)
                .where(alerts.c.id == original)
                .values(duplicates=alerts.c.duplicates + 1)
            )
            return Accepted(alert_id=original, duplicate=True)
        alert_id = conn.execute(
            insert(alerts)
            .values(
                received_at=now,
                license=alert.license,
                user_email=alert.user,
                label=alert.label,
                status=alert.status,
                camera_count=alert.camera_count,
                content_type=content_type,
                body_sha256=body_sha256,
                raw_body=raw_body,
                payload=alert.normalised,
                duplicates=0,
                source=source,
            )
            .returning(alerts.c.id)
        ).scalar_one()
        conn.execute(update(dedup).where(dedup.c.key == alert.dedup_key).values(alert_id=alert_id))
        conn.execute(
            insert(inbox).values(
                alert_id=alert_id, state="pending", available_at=now, claims=0, created_at=now
            )
        )
        return Accepted(alert_id=alert_id, duplicate=False)
