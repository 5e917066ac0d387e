"""Every HTTP error is JSON: ``{"error": message, "detail": {...}}`` with the right 4xx/5xx.

:class:`Reply` is an answer before it becomes a response, so the Flask views and
the WSGI webhook lane (which answers without Flask) send the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from router.errors import StoreUnavailable
from router.receive.replybytes import dumps_reply

STORE_UNAVAILABLE = "store unavailable: nothing was stored; retry later"
RETRY_AFTER_S = 5
# The database is down or saturated (connection refused or lost, pool exhausted,
# locked): the store raises StoreUnavailable for every such driver error, and the
# Flask handler and the webhook lane alike answer it with store_unavailable().
STORE_OUTAGES = StoreUnavailable


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()

    def flask(self) -> tuple[Response, int]:
        response = jsonify(self.body)
        for name, value in self.headers:
            response.headers[name] = value
        return response, self.status

    def encoded(self) -> bytes:
        """The body as Flask's JSON provider writes it outside debug mode."""
        return dumps_reply(self.body) + b"\n"


def error_body(message: str, **detail: Any) -> dict[str, Any]:
    return {"error": message, "detail": detail}


def error_response(status: int, message: str, **detail: Any) -> tuple[Response, int]:
    return Reply(status, error_body(message, **detail)).flask()


def store_unavailable() -> Reply:
    """The database is down or saturated: nothing was stored, so the sender should retry."""
    return Reply(503, error_body(STORE_UNAVAILABLE), (("Retry-After", str(RETRY_AFTER_S)),))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_exc: RequestEntityTooLarge) -> tuple[Response, int]:
        limit = app.config["MAX_CONTENT_LENGTH"]
        return error_response(
            413, f"body is larger than {limit} bytes (ROUTER_MAX_BODY_BYTES)", limit=limit
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[Response, int]:
        return http_error(exc).flask()


def http_error(exc: HTTPException) -> Reply:
    code = exc.code or 500
    return Reply(code, error_body(exc.description or exc.name, code=exc.name))
