"""Receive: authenticate, size-check, parse, persist, answer 200. No outbound calls.

VisionAlert removes a hook that keeps failing, so this path does the least that
makes an alert durable and leaves everything else to the worker.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from router import logs, metrics
from router.errors import PayloadError
from router.payload import ParsedAlert, decode_json, parse_payload
from router.runtime import Runtime
from router.store.ingest import accept_alert
from router.web.auth import webhook_token_ok
from router.web.errors import error_response

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__)

_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


@bp.post("/webhooks/visionalert")
@bp.post("/webhooks/visionalert/<token>")
def receive(token: str | None = None) -> tuple[Response, int]:
    rt: Runtime = current_app.extensions["router"]
    secret = rt.settings.webhook_token
    if not webhook_token_ok(request, token, secret.get_secret_value() if secret else None):
        return error_response(
            401,
            "missing or wrong webhook token: send it as 'Authorization: Token <secret>', "
            "'X-Router-Token' or in the URL path",
        )
    raw = request.get_data(cache=True)
    try:
        parsed = _parse(raw)
    except PayloadError as exc:
        logs.bind(rejected=str(exc), field=exc.field)  # goes on the request's log line
        return error_response(exc.status_code, str(exc), field=exc.field)
    accepted = accept_alert(
        rt.db,
        parsed,
        raw_body=raw,
        content_type=request.mimetype or "application/octet-stream",
        now=rt.clock.now(),
        dedup_window=rt.settings.dedup_window,
        body_sha256=hashlib.sha256(raw).hexdigest(),
    )
    logs.bind(alert_id=accepted.alert_id, license=parsed.license,
              cameras=parsed.camera_count, duplicate=accepted.duplicate)
    if accepted.duplicate:
        metrics.webhook_duplicate()
    body: dict[str, Any] = {"status": "accepted", "alert_id": accepted.alert_id}
    if accepted.duplicate:
        body["duplicate"] = True
    return jsonify(body), 200


def _parse(raw: bytes) -> ParsedAlert:
    if request.mimetype in _FORM_TYPES:
        return parse_payload(decode_json(_form_json()))
    return parse_payload(decode_json(raw))


def _form_json() -> bytes | str:
    """The ``json`` field of a form body, whether sent as a plain field or a file part."""
    if "json" in request.form:
        return request.form["json"]
    if "json" in request.files:
        data: bytes = request.files["json"].read()
        return data
    raise PayloadError(
        f"{request.mimetype} body has no 'json' field: put the webhook JSON in a field "
        "named 'json'",
        field="json",
    )
