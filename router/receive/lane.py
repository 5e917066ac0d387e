"""The webhook lane: JSON webhooks answered in front of Flask, by the same code.

Ingest rate is the one figure where the web framework's own cost counts:
VisionAlert waits on every webhook, and Flask's per-request machinery (request
context, URL map, hooks, response object) cost as much CPU as parsing and
storing the alert. This WSGI middleware takes ``POST /webhooks/visionalert`` and
``/webhooks/visionalert/<token>`` with a declared body length within the limit
and any content type but a form, and runs the steps of the Flask view in
:mod:`router.receive.view`: the same token check, parser, transaction and reply,
the same request id, log line and counters. Everything else (form bodies,
chunked or oversized bodies, every other path) goes to Flask unchanged.

It is built on werkzeug's ``Request`` and ``Response``, the objects Flask itself
wraps, so headers, the status line and the body are written the way Flask
writes them; what it skips is the application and request contexts, the URL
map and the hooks. tests/receive/test_lane_vs_view.py sends every webhook case
both ways and compares the answers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from werkzeug.exceptions import InternalServerError
from werkzeug.wrappers import Request, Response

from router.errors import StoreUnavailable
from router.obs import logs
from router.pipeline.runtime import Runtime
from router.receive.view import FORM_TYPES, PATH, UNAUTHORIZED, accept, authorised
from router.web import requestlog
from router.web.errors import Reply, error_body, http_error, store_unavailable

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

_TOKEN_ROUTE = f"{PATH}/<token>"
_PREFIX = f"{PATH}/"


class WebhookLane:
    """WSGI middleware: ``app.wsgi_app = WebhookLane(app.wsgi_app, runtime)``."""

    def __init__(self, inner: WSGIApplication, runtime: Runtime) -> None:
        self.inner = inner
        self.runtime = runtime
        self.max_body = runtime.settings.max_body_bytes

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        taken = self._take(request)
        if taken is None:
            return self.inner(environ, start_response)
        started = time.perf_counter()
        rid = requestlog.request_id(request.headers.get("X-Request-Id"))
        logs.new_context(request_id=rid)
        try:
            reply = self._reply(request, taken)
            response = Response(reply.encoded(), reply.status,
                                [*reply.headers, (requestlog.HEADER, rid)],
                                content_type="application/json")
            requestlog.count_webhook(reply.status)
            requestlog.log_request(rid, "POST", taken.rule, reply.status, started,
                                   response.content_length or 0, request.remote_addr)
            return response(environ, start_response)
        finally:
            logs.new_context()

    def _take(self, request: Request) -> _Taken | None:
        """What this lane needs to answer the request itself, or None: Flask's turn."""
        if request.method != "POST" or "Transfer-Encoding" in request.headers:
            return None
        declared = request.content_length
        if declared is None or declared > self.max_body:
            return None  # Flask answers 413 (after the token check), or reads chunks
        route = _route(request.path)
        if request.mimetype in FORM_TYPES or route is None:
            return None
        return _Taken(route[0], route[1], declared,
                      request.mimetype or "application/octet-stream")

    def _reply(self, request: Request, taken: _Taken) -> Reply:
        rt = self.runtime
        if not authorised(rt, path_token=taken.token,
                          header_token=request.headers.get("X-Router-Token"),
                          authorization=request.headers.get("Authorization")):
            return UNAUTHORIZED
        length = taken.length
        # Read the raw input, not request.stream: a short body gets its precise 400.
        raw = request.environ["wsgi.input"].read(length)
        if len(raw) < length:
            return Reply(400, error_body(
                f"body ended after {len(raw)} of the {length} bytes its Content-Length "
                "announced"))
        try:
            return accept(rt, raw, taken.content_type, lambda: raw)
        except StoreUnavailable:
            return store_unavailable()
        except Exception:  # what Flask does for an unhandled error: log it, answer 500
            log.exception("Exception on %s [POST]", request.path)
            return http_error(InternalServerError())


class _Taken(NamedTuple):
    rule: str  # the URL rule, for the log line (never the path: it may hold the token)
    token: str | None
    length: int
    content_type: str


def _route(path: str) -> tuple[str, str | None] | None:
    """(URL rule, path token) for a webhook path, as Flask's URL map would match it."""
    if path == PATH:
        return PATH, None
    if path.startswith(_PREFIX):
        segment = path[len(_PREFIX):]
        if segment and "/" not in segment:
            return _TOKEN_ROUTE, segment
    return None
