"""JSON representations, field for field (and in the order) of the API reference."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from .state import Alert, AlertCamera, Camera, License, Log, State


def fmt_datetime(value: datetime, tz: tzinfo) -> str:
    """DRF's rendering: ISO 8601 in the server timezone, ``Z`` for UTC."""
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def media_url(base_url: str, path: str | None) -> str | None:
    return f"{base_url.rstrip('/')}/media/{path}" if path else None


def license_json(lic: License, tz: tzinfo) -> dict[str, Any]:
    return {
        "id": lic.id,
        "code": lic.code,
        "size": lic.size,
        "va_type": lic.va_type,
        "expiration": fmt_datetime(lic.expiration, tz),
        "created": fmt_datetime(lic.created, tz),
        "modified": fmt_datetime(lic.modified, tz),
    }


def camera_json(cam: Camera, state: State, tz: tzinfo) -> dict[str, Any]:
    return {
        "id": cam.id,
        "serial": cam.serial,
        "name": cam.name,
        "license": state.licenses[cam.license_id].code,
        "tags": list(cam.tags),
        "notes": cam.notes,
        "latest_status": state.latest_status(cam.id),
        "created": fmt_datetime(cam.created, tz),
        "modified": fmt_datetime(cam.modified, tz),
    }


def log_json(log: Log, state: State, tz: tzinfo, base_url: str) -> dict[str, Any]:
    cam = state.cameras[log.camera_id]
    return {
        "id": log.id,
        "camera_serial": cam.serial,
        "camera_name": cam.name,
        "status": log.status,
        "anomalies": dict(log.anomalies),
        "snapshot": media_url(base_url, log.snapshot),
        "created": fmt_datetime(log.created, tz),
    }


def alert_camera_json(entry: AlertCamera, base_url: str) -> dict[str, Any]:
    return {
        "serial": entry.serial,
        "name": entry.name,
        "status": entry.status,
        "anomalies": dict(entry.anomalies),
        "snapshot": media_url(base_url, entry.snapshot),
        "reference_image": media_url(base_url, entry.reference_image),
    }


def alert_json(alert: Alert, state: State, tz: tzinfo, base_url: str) -> dict[str, Any]:
    return {
        "id": alert.id,
        "license": state.licenses[alert.license_id].code,
        "sent": alert.sent,
        "cameras": [alert_camera_json(c, base_url) for c in alert.cameras],
        "created": fmt_datetime(alert.created, tz),
    }


def webhook_payload(alert: Alert, state: State, base_url: str) -> dict[str, Any]:
    """The documented webhook body for ``alert``."""
    lic = state.licenses[alert.license_id]
    owner = state.users[lic.owner_id]
    return {
        "license": lic.code,
        "user": owner.email,
        "anomaly": alert.anomaly,
        "cameras": [
            {
                "serial": c.serial,
                "name": c.name,
                "anomaly": c.anomaly,
                "tags": list(c.tags),
                "reference_image": media_url(base_url, c.reference_image),
                "latest_image": media_url(base_url, c.snapshot),
            }
            for c in alert.cameras
        ],
    }

