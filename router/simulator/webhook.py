"""Sends VisionAlert webhooks the way Plate Recognizer products do.

The body is the documented JSON object; the transport is JSON, multipart
(``json`` field plus the first camera's latest image as ``upload``) or
url-encoded form (``json`` field), optionally with ``Authorization: Token X``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from .config import WEBHOOK_FORMATS


@dataclass(frozen=True)
class WebhookResult:
    target: str
    format: str
    status: int | None  # None: no HTTP answer (connection error, timeout)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target, "format": self.format, "status": self.status,
                "ok": self.ok, "error": self.error}


def send_webhook(target: str, payload: dict[str, Any], fmt: str = "json", *,
                 token: str | None = None, image: bytes | None = None,
                 timeout: float = 10.0, client: httpx.Client | None = None) -> WebhookResult:
    """POST ``payload`` to ``target``; failures are reported, never raised."""
    if fmt not in WEBHOOK_FORMATS:
        raise ValueError(f"webhook format must be one of {WEBHOOK_FORMATS}, not {fmt!r}")
    headers = {"User-Agent": "VisionAlert-Simulator/1.0"}
    if token:
        headers["Authorization"] = f"Token {token}"
    body = json.dumps(payload)
    kwargs: dict[str, Any] = {"headers": headers}
    if fmt == "json":
        kwargs["content"] = body.encode()
        headers["Content-Type"] = "application/json"
    elif fmt == "form":
        kwargs["data"] = {"json": body}
    else:
        # A (None, value) part is a plain form field; it also forces multipart when no image.
        files: dict[str, Any] = {"json": (None, body.encode(), "application/json")}
        if image is not None:
            files["upload"] = ("latest_image.jpg", image, "image/jpeg")
        kwargs["files"] = files
    try:
        if client is not None:
            response = client.post(target, timeout=timeout, **kwargs)
        else:
            with httpx.Client() as own:
                response = own.post(target, timeout=timeout, **kwargs)
    except httpx.HTTPError as exc:
        return WebhookResult(target, fmt, None, f"{type(exc).__name__}: {exc}")
    return WebhookResult(target, fmt, response.status_code)
