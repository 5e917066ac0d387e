"""The admin API under ``/api/v1``: JSON, authenticated with ``ROUTER_ADMIN_TOKEN``.

Each resource lives in its own module and registers its routes on ``bp``; the
modules are imported at the bottom so that importing this package wires them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, current_app, request

from router.pipeline.runtime import Runtime
from router.web.auth import bearer_ok
from router.web.errors import error_response

bp = Blueprint("api", __name__, url_prefix="/api/v1")

F = TypeVar("F", bound=Callable[..., Any])


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["router"]
    return rt


def require_admin(view: F) -> F:
    """401 without a bearer token, 403 with a wrong one, 403 when no token is configured."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        secret = runtime().settings.admin_token
        if not request.headers.get("Authorization", "").lower().startswith("bearer "):
            return error_response(401, "admin API needs 'Authorization: Bearer <token>'")
        if secret is None:
            return error_response(403, "admin API is disabled: set ROUTER_ADMIN_TOKEN")
        if not bearer_ok(request, secret.get_secret_value()):
            return error_response(403, "wrong admin token")
        return view(*args, **kwargs)

    return cast(F, wrapper)


# Resource modules register their routes on ``bp`` when imported.
from router.web.api import (  # noqa: E402, F401
    alerts,
    deliveries,
    explain,
    incidents,
    openapi,
    rules,
    silences,
)
