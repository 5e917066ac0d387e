"""Request hooks: a request id, one log line per request, webhook counters.

The id comes from ``X-Request-ID`` when the caller (a proxy, VisionAlert) sends a
sane one, else it is generated; it is bound to every line logged while the
request runs and returned in the response. The line names the URL rule, never
the raw path, because a path may carry the webhook token.

The helpers below take plain values, not Flask's request, so the webhook lane
(:mod:`router.receive.lane`), which answers without Flask, logs and counts
exactly as the hooks do.
"""

from __future__ import annotations

import logging
import os
import re
import time

from flask import Response, g, request
from flask.sansio.app import App

from router.obs import logs, metrics

log = logging.getLogger("router.http")

HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
WEBHOOK_ENDPOINTS = frozenset({"webhooks.receive"})
_REJECT_BY_STATUS = {401: "unauthorized", 403: "unauthorized", 413: "too_large",
                     400: "invalid_payload", 415: "invalid_payload", 503: "unavailable"}


def install(app: App) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_clear)


def request_id(offered: str | None) -> str:
    """The caller's id when it is sane, else a new random one (32 hex digits)."""
    if offered and _SANE_ID.fullmatch(offered):
        return offered
    return os.urandom(16).hex()


def log_request(rid: str, method: str, route: str | None, status: int, started: float | None,
                size: int | None, remote: str | None) -> None:
    """The one line per request (``started`` is a ``time.perf_counter()`` reading)."""
    level = logging.WARNING if status >= 500 else logging.INFO
    if not log.isEnabledFor(level):
        return
    log.log(level, "request", extra={
        "request_id": rid,
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
        "bytes": size,
        "remote": remote,
    })


def count_webhook(status: int) -> None:
    metrics.webhook_received()
    if status >= 400:
        default = "server_error" if status >= 500 else "other"
        metrics.webhook_rejected(_REJECT_BY_STATUS.get(status, default))


def _start() -> None:
    g.request_started = time.perf_counter()
    g.request_id = request_id(request.headers.get(HEADER))
    logs.new_context(request_id=g.request_id)


def _finish(response: Response) -> Response:
    rid = g.get("request_id") or request_id(request.headers.get(HEADER))
    response.headers[HEADER] = rid
    if request.endpoint in WEBHOOK_ENDPOINTS:
        count_webhook(response.status_code)
    log_request(rid, request.method,
                request.url_rule.rule if request.url_rule is not None else None,
                response.status_code, g.get("request_started"),
                response.calculate_content_length(), request.remote_addr)
    return response


def _clear(_exc: BaseException | None) -> None:
    logs.new_context()
