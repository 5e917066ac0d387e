"""The webhook-shaped body of a polled upstream alert, and the facts it carries.

Polling turns an upstream alert into the body VisionAlert would have posted,
plus the upstream data itself under ``upstream_alert`` (kept by the payload
parser as an unknown field), so enrichment needs no listing to find it.
"""

from __future__ import annotations

from typing import Any

from router.upstream.cache import AlertFact
from router.upstream.models import Alert, AlertCamera, parse_timestamp

KEY = "upstream_alert"


def polled_body(alert: Alert, license_code: str) -> dict[str, Any]:
    """The documented webhook object for ``alert``, with the upstream data attached."""
    labels = [_label(cam) for cam in alert.cameras]
    return {
        "license": license_code,
        "user": None,
        "anomaly": labels[0] if len(set(labels)) == 1 else "Anomaly",
        "cameras": [
            {"serial": cam.serial, "name": cam.name or cam.serial, "anomaly": label,
             "tags": [], "reference_image": cam.reference_image, "latest_image": cam.snapshot}
            for cam, label in zip(alert.cameras, labels, strict=True)
        ],
        KEY: {"id": alert.id, "created": alert.created,
              "cameras": [cam.model_dump() for cam in alert.cameras]},
    }


def polled_facts(payload: dict[str, Any]) -> dict[str, list[AlertFact]] | None:
    """The upstream entries a polled alert carries, by serial; None for a webhook."""
    data = (payload.get("extra") or {}).get(KEY)
    if not isinstance(data, dict):
        return None
    created = str(data["created"])
    facts: dict[str, list[AlertFact]] = {}
    for raw in data.get("cameras") or []:
        cam = AlertCamera.model_validate(raw)
        facts.setdefault(cam.serial, []).append(AlertFact(
            int(data["id"]), cam.serial, created, parse_timestamp(created), cam.status,
            dict(cam.anomalies), cam.snapshot, cam.reference_image))
    return facts


def _label(cam: AlertCamera) -> str:
    """What a webhook says for a camera: its strongest anomaly type, else its status label."""
    if cam.anomalies:
        return max(cam.anomalies.items(), key=lambda kv: kv[1])[0]
    return cam.status or "Anomaly"
