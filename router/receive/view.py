"""Receive: authenticate, size-check, parse, persist, answer 200. No outbound calls.

VisionAlert removes a hook that keeps failing, so this path does the least that
makes an alert durable and leaves everything else to the worker.

Two entry points share every decision here: the WSGI lane
(:mod:`router.receive.lane`) answers JSON posts without Flask's per-request
machinery, and the Flask view below answers the rest (form bodies, chunked or
oversized bodies). Both call :func:`authorised` and then :func:`accept`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, request

from router.errors import PayloadError
from router.obs import logs, metrics
from router.pipeline.runtime import Runtime
from router.store.ingest import accept_alert
from router.upstream.payload import decode_json, parse_payload
from router.web.auth import webhook_token_ok
from router.web.errors import Reply, error_body

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__)

PATH = "/webhooks/visionalert"
FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})
UNAUTHORIZED = Reply(401, error_body(
    "missing or wrong webhook token: send it as 'Authorization: Token <secret>', "
    "'X-Router-Token' or in the URL path"))


def authorised(rt: Runtime, *, path_token: str | None, header_token: str | None,
               authorization: str | None) -> bool:
    secret = rt.settings.webhook_token
    return webhook_token_ok(secret.get_secret_value() if secret else None,
                            path_token=path_token, header_token=header_token,
                            authorization=authorization)


def accept(rt: Runtime, raw: bytes, content_type: str,
           json_source: Callable[[], bytes | str]) -> Reply:
    """Parse the webhook JSON (``json_source()``: the body, or a form's ``json`` field)
    and store it with ``raw`` in one transaction; the reply to send."""
    try:
        parsed = parse_payload(decode_json(json_source()))
    except PayloadError as exc:
        logs.bind(rejected=str(exc), field=exc.field)  # goes on the request's log line
        return Reply(exc.status_code, error_body(str(exc), field=exc.field))
    accepted = accept_alert(
        rt.db,
        parsed,
        raw_body=raw,
        content_type=content_type,
        now=rt.clock.now(),
        dedup_window=rt.settings.dedup_window,
        body_sha256=hashlib.sha256(raw).hexdigest(),
    )
    logs.bind(alert_id=accepted.alert_id, license=parsed.license,
              cameras=parsed.camera_count, duplicate=accepted.duplicate)
    body: dict[str, Any] = {"status": "accepted", "alert_id": accepted.alert_id}
    if accepted.duplicate:
        metrics.webhook_duplicate()
        body["duplicate"] = True
    return Reply(200, body)


@bp.post(PATH)
@bp.post(f"{PATH}/<token>")
def receive(token: str | None = None) -> tuple[Response, int]:
    rt: Runtime = current_app.extensions["router"]
    if not authorised(rt, path_token=token, header_token=request.headers.get("X-Router-Token"),
                      authorization=request.headers.get("Authorization")):
        return UNAUTHORIZED.flask()
    raw = request.get_data(cache=True)  # 413 past MAX_CONTENT_LENGTH
    source = _form_json if request.mimetype in FORM_TYPES else (lambda: raw)
    return accept(rt, raw, request.mimetype or "application/octet-stream", source).flask()


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
