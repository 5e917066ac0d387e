"""Read queries behind the admin API and the dashboard, one module per thing read; no writes.

Lists are keyset-paged newest first on ``(time, id)`` (:mod:`.paging`).
"""

from __future__ import annotations

from router.store.views.alert_detail import alert_detail, attempt_log, camera_images
from router.store.views.alerts import ALERT_PARTS, AlertFilter, list_alerts
from router.store.views.deliveries import DELIVERY_STATES, list_deliveries
from router.store.views.incidents import (
    INCIDENT_STATES,
    incident_detail,
    incident_stats,
    list_incidents,
)
from router.store.views.overview import DAY, cameras_in_trouble, failing_targets, overview
from router.store.views.paging import BATCH, SCAN_LIMIT, Key, Page, Window, scan

__all__ = [
    "ALERT_PARTS",
    "BATCH",
    "DAY",
    "DELIVERY_STATES",
    "INCIDENT_STATES",
    "SCAN_LIMIT",
    "AlertFilter",
    "Key",
    "Page",
    "Window",
    "alert_detail",
    "attempt_log",
    "camera_images",
    "cameras_in_trouble",
    "failing_targets",
    "incident_detail",
    "incident_stats",
    "list_alerts",
    "list_deliveries",
    "list_incidents",
    "overview",
    "scan",
]
