"""The webhook VisionAlert documents, as sent by ``send-sample`` and the README."""

from __future__ import annotations

from typing import Any

SAMPLE_WEBHOOK: dict[str, Any] = {
    "license": "LIC-ABC123",
    "user": "user@example.com",
    "anomaly": "Offline",
    "cameras": [
        {
            "serial": "d3905c1c-1f78-dea5-26e8-b4917e5e282b",
            "name": "Cam-01",
            "anomaly": "Offline",
            "tags": ["site-a"],
            "reference_image": None,
            "latest_image": None,
        }
    ],
}
