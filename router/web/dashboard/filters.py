"""Template helpers: time and score formatting, the CSRF token, HTML error pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import render_template
from werkzeug.exceptions import HTTPException

from router import clock
from router.web.dashboard import bp
from router.web.dashboard import session as login

_UNITS = ((86400, "d"), (3600, "h"), (60, "min"), (1, "s"))


@bp.app_template_filter("when")
def when(epoch: float | None) -> str:
    """``2027-01-15 08:00:00 UTC`` (the page's script shows it in local time)."""
    if epoch is None:
        return ""
    return datetime.fromtimestamp(float(epoch), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@bp.app_template_filter("iso")
def iso(epoch: float | None) -> str:
    return "" if epoch is None else clock.iso(float(epoch))


@bp.app_template_filter("duration")
def duration(seconds: float | None) -> str:
    """``5400`` -> ``1 h 30 min``."""
    if seconds is None:
        return ""
    left, parts = int(seconds), []
    for size, unit in _UNITS:
        if left >= size:
            parts.append(f"{left // size} {unit}")
            left %= size
    return " ".join(parts[:2]) or "0 s"


@bp.app_template_filter("percent")
def percent(score: Any) -> str:
    if isinstance(score, int | float) and not isinstance(score, bool):
        return f"{score * 100:.0f}%"
    return "score n/a"


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    return {"csrf_token": login.csrf_token, "logged_in": login.logged_in}


@bp.errorhandler(403)
def _forbidden(exc: HTTPException) -> tuple[str, int]:
    if exc.description == "csrf":
        message = ("The form was rejected: it is missing its security token or the token "
                   "is from another session. Reload the page and try again.")
    else:
        message = exc.description or "Forbidden."
    return render_template("message.html", title="Rejected", message=message), 403


@bp.errorhandler(404)
def _not_found(exc: HTTPException) -> tuple[str, int]:
    return render_template("message.html", title="Not found",
                           message=exc.description or "Not found."), 404
