"""Camera events the golden snapshots and channel tests render (fixed, realistic)."""

from __future__ import annotations

from router.model import CameraEvent, Status

AT = 1775824200.0  # 2026-04-10 12:30 UTC
NOW = AT + 300
TZ = "Europe/Berlin"
EXTERNAL = "https://router.example.com"
MEDIA = "https://app.platerecognizer.com/media"

SINGLE = CameraEvent(
    alert_id=7, index=0, license="LIC-ABC123", serial="Q2GV-ABCD-1234", name="Front Entrance",
    tags=("site-a", "north"), status=Status.ANOMALY, label="Obstruction",
    anomalies={"Obstruction": 0.87, "Blur": 0.42},
    snapshot_url=f"{MEDIA}/camera_snapshot/04/10/1430_aB3cD_front.jpg",
    reference_url=f"{MEDIA}/camera_reference/01/15/0900_xY9zW_front.jpg",
    upstream_alert_id=1001, enriched=True)
UNENRICHED = CameraEvent(
    alert_id=8, index=0, license="LIC-ABC123", serial="Q2GV-EFGH-5678", name="Parking Lot B",
    tags=("site-b",), status=Status.OFFLINE, label="Offline", enriched=False,
    enrichment_note="VisionAlert API unreachable")


def camera(i: int, *, license: str = "LIC-ABC123", base: str = MEDIA,
           enriched: bool = True) -> CameraEvent:
    """Camera ``i`` of a fleet: kinds and sites vary, every third is offline."""
    offline = i % 3 == 2
    kind = ("Obstruction", "Glare")[i % 2]
    return CameraEvent(
        alert_id=9, index=i, license=license, serial=f"Q2GV-{i:04d}", name=f"Cam-{i:02d}",
        tags=(f"site-{'abc'[i % 3]}",), status=Status.OFFLINE if offline else Status.ANOMALY,
        label="Offline" if offline else kind,
        anomalies={} if offline else {kind: 0.5 + (i % 5) / 10},
        snapshot_url=None if offline else f"{base}/camera_snapshot/{i}.jpg",
        reference_url=None if offline else f"{base}/camera_reference/{i}.jpg",
        enriched=enriched)


def group(n: int, **kwargs: object) -> list[CameraEvent]:
    return [camera(i, **kwargs) for i in range(n)]  # type: ignore[arg-type]
