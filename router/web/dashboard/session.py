"""Dashboard login, session cookie and CSRF protection.

Logging in with the admin token stores a fingerprint of that token in Flask's
signed session cookie (HttpOnly, SameSite=Lax, Secure when the request came
over https; ``X-Forwarded-Proto`` counts only with ROUTER_TRUST_FORWARDED_PROTO).
Every state-changing request carries a per-session CSRF token from the form.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, Request, abort, current_app, redirect, request, session, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.wrappers import Response as WerkzeugResponse

from router.channels.links import derive_key
from router.pipeline.runtime import Runtime

F = TypeVar("F", bound=Callable[..., Any])
COOKIE = "router_session"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


# Machine endpoints never use the dashboard session: opening (verifying and
# decoding) the signed cookie on every webhook would cost the receive path for nothing.
SESSIONLESS = ("/webhooks/", "/api/", "/-/", "/metrics", "/healthz", "/readyz")


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure exactly when this request is https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(SESSIONLESS):
            return self.make_null_session(app)  # a NullSession: read-only, never saved
        return super().open_session(app, request)


def rt() -> Runtime:
    runtime: Runtime = current_app.extensions["router"]
    return runtime


def configure(app: Flask, runtime: Runtime) -> None:
    """Session key and cookie flags from settings."""
    settings = runtime.settings
    key = derive_key(settings, "session")
    app.secret_key = key if key is not None else secrets.token_bytes(32)
    app.session_interface = SessionInterface()
    app.config.update(SESSION_COOKIE_NAME=COOKIE, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax",
                      PERMANENT_SESSION_LIFETIME=int(settings.session_lifetime))


def fingerprint() -> str | None:
    """Identifies the admin token in force; a login ends when the token changes."""
    token = rt().settings.admin_token
    if token is None:
        return None
    return hashlib.sha256(b"router-login\x1f" + token.get_secret_value().encode()).hexdigest()[:32]


def logged_in() -> bool:
    mark, current = session.get("admin"), fingerprint()
    return isinstance(mark, str) and current is not None and hmac.compare_digest(mark, current)


def log_in(given: str) -> bool:
    token = rt().settings.admin_token
    if token is None or not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
        return False
    session.clear()  # a fresh session (and CSRF token) after login: no fixation
    session.permanent = True
    session["admin"] = fingerprint()
    return True


def login_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not logged_in():
            return redirect(url_for("dashboard.login_form", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return cast(F, wrapper)


def csrf_token() -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def check_csrf(req: Request) -> None:
    """403 unless an unsafe request carries this session's CSRF token."""
    if req.method not in UNSAFE:
        return
    expected = session.get("csrf")
    given = req.form.get("csrf_token") or req.headers.get("X-CSRF-Token") or ""
    if not isinstance(expected, str) or not hmac.compare_digest(given, expected):
        abort(403, description="csrf")


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("dashboard.overview")


def redirect_to(target: str) -> WerkzeugResponse:
    return redirect(target, code=303)
