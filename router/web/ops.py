"""Operational endpoints: liveness, readiness (with Alertmanager-style aliases), metrics.

Registering this blueprint also installs the request hooks (request id, one log
line per request) and turns a store outage into a 503 the sender can retry.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from flask import Blueprint, Response, current_app, jsonify
from flask.blueprints import BlueprintSetupState

from router import __version__
from router.errors import StoreError
from router.obs import metrics
from router.pipeline.runtime import Runtime
from router.rules.models import Route
from router.store.migrate import ensure_current
from router.web import collectors, errors, requestlog
from router.web.api import require_admin
from router.web.errors import error_response

bp = Blueprint("ops", __name__)


@bp.record_once
def _install_hooks(state: BlueprintSetupState) -> None:
    requestlog.install(state.app)
    state.app.register_error_handler(errors.STORE_OUTAGES, _store_unavailable)


def _store_unavailable(_exc: Exception) -> tuple[Response, int]:
    """The database is down or saturated: nothing was stored, so the sender should retry."""
    return errors.store_unavailable().flask()


@bp.get("/metrics")
def metrics_page() -> Response:
    """Prometheus text: counters of every process, queue gauges read from the store."""
    rt: Runtime = current_app.extensions["router"]
    rules = rt.rules.current
    if rules is not None:
        metrics.precreate(rules.receivers, [route.name for route in _routes(rules.routes)])
    holder = rt.rules
    body = metrics.render([
        collectors.StoreCollector(rt.db, rt.clock.now),
        collectors.ConfigCollector(lambda: (holder.last_reload_successful,
                                         holder.last_success_time)),
    ])
    return Response(body, mimetype=None, content_type=metrics.CONTENT_TYPE)


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


@bp.post("/-/reload")
@require_admin
def reload_rules() -> tuple[Response, int]:
    """Reload the rules in this process now; an invalid file is rejected (400), old rules stay."""
    holder = current_app.extensions["router"].rules
    before = holder.current
    if not holder.load():
        problems = (holder.last_error or "").splitlines()
        return error_response(400, f"rules not reloaded: {len(problems)} problem(s); the "
                                   "rules in force are unchanged", problems=problems)
    rules = holder.current
    return jsonify(status="reloaded", digest=rules.digest,
                   changed=before is None or before.digest != rules.digest,
                   receivers=len(rules.receivers), routes=sum(1 for _ in rules.walk())), 200


def _routes(routes: Iterable[Route]) -> Iterator[Route]:
    for route in routes:
        yield route
        yield from _routes(route.routes)
