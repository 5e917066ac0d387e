"""Every HTTP error is JSON: ``{"error": message, "detail": {...}}`` with the right 4xx/5xx."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge


def error_response(status: int, message: str, **detail: Any) -> tuple[Response, int]:
    return jsonify({"error": message, "detail": detail}), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_exc: RequestEntityTooLarge) -> tuple[Response, int]:
        limit = app.config["MAX_CONTENT_LENGTH"]
        return error_response(
            413, f"body is larger than {limit} bytes (ROUTER_MAX_BODY_BYTES)", limit=limit
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[Response, int]:
        code = exc.code or 500
        return error_response(code, exc.description or exc.name, code=exc.name)
