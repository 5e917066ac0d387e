"""Enrich: an alert's cameras become camera events.

Without VisionAlert API access the events carry what the webhook said and are
marked ``enriched: false`` with the reason; the API-backed enrichment builds on
this same entry point.
"""

from __future__ import annotations

from typing import Any

from router.model import CameraEvent, Status

NOT_CONFIGURED = "VisionAlert API not configured (ROUTER_VISIONALERT_TOKEN unset)"


def camera_events(alert_id: int, payload: dict[str, Any],
                  note: str = NOT_CONFIGURED) -> list[CameraEvent]:
    """One camera event per camera of the normalised webhook payload."""
    return [
        CameraEvent(
            alert_id=alert_id,
            index=i,
            license=payload["license"],
            serial=cam["serial"],
            name=cam["name"],
            tags=tuple(cam["tags"]),
            status=Status(cam["status"]),
            label=cam["anomaly"] or "",
            anomalies=dict.fromkeys(cam["anomalies"]),
            snapshot_url=cam.get("latest_image"),
            reference_url=cam.get("reference_image"),
            enriched=False,
            enrichment_note=note,
        )
        for i, cam in enumerate(payload["cameras"])
    ]
