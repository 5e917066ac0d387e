"""Operational endpoints: liveness and readiness, with Alertmanager-style aliases."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from router import __version__
from router.errors import StoreError
from router.runtime import Runtime
from router.store.migrate import ensure_current

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
@bp.get("/-/healthy")
def healthz() -> Response:
    """Alive: answers without touching any dependency."""
    return jsonify(status="ok", version=__version__)


@bp.get("/readyz")
@bp.get("/-/ready")
def readyz() -> tuple[Response, int]:
    """Ready: store reachable, schema current, rules loaded."""
    rt: Runtime = current_app.extensions["router"]
    checks: dict[str, str] = {}
    try:
        rt.db.ping()
        ensure_current(rt.db)
        checks["store"] = "ok"
    except StoreError as exc:
        checks["store"] = str(exc)
    checks["rules"] = "ok" if rt.rules.current is not None else f"not loaded: {rt.rules.error}"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503
