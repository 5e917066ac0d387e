"""Application factory of the VisionAlert simulator."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, Response, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

from router.clock import Clock, SystemClock, utc
from router.errors import ScenarioError

from . import api, control, media
from .config import SimulatorConfig
from .context import EXTENSION, SimContext, sim
from .faults import Faults
from .ratelimit import RateLimiter
from .scenario import load_scenario, seed_state
from .state import State
from .stats import Stats


class _OrderedJSON(DefaultJSONProvider):
    sort_keys = False  # keep the field order of the API reference


def create_app(config: SimulatorConfig | None = None, *, clock: Clock | None = None) -> Flask:
    """A Flask app serving the VisionAlert API, media and ``/_sim/`` controls.

    Raises ``ScenarioError`` when the scenario or timezone is unusable.
    """
    config = config or SimulatorConfig()
    clock = clock or SystemClock()
    scenario = load_scenario(config.scenario)
    if config.token:
        scenario.users[0].token = config.token
    tz_name = config.timezone or scenario.timezone
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScenarioError(f"unknown timezone {tz_name!r}: use an IANA name like UTC") from exc
    state = State(seed=config.seed)
    to_send = seed_state(scenario, state, utc(clock.now()))

    app = Flask(__name__)
    app.json = _OrderedJSON(app)
    app.extensions[EXTENSION] = SimContext(
        config=config, clock=clock, state=state, tz=tz,
        limiter=RateLimiter(config.rate_limit, clock), faults=Faults(config.faults),
        stats=Stats(), startup_webhooks=to_send)
    app.register_blueprint(api.bp)
    app.register_blueprint(media.bp)
    app.register_blueprint(control.bp)
    app.after_request(_count)
    app.register_error_handler(HTTPException, _http_error)
    return app


def _count(response: Response) -> Response:
    if request.blueprint != control.bp.name:  # control calls would blur the figures
        rule = request.url_rule.rule if request.url_rule else "<unmatched>"
        sim().stats.record(f"{request.method} {rule}", response.status_code, g.get("sim_token"))
    return response


def _http_error(exc: HTTPException) -> tuple[Response, int]:
    """Routing errors in DRF's JSON form instead of Flask's HTML pages."""
    code = exc.code or 500
    body: dict[str, Any] = {"detail": "Not found."} if code == 404 else {"detail": exc.description}
    if code == 405:
        body = {"detail": f'Method "{request.method}" not allowed.'}
    response = jsonify(body)
    if code == 405 and exc.get_response().headers.get("Allow"):
        response.headers["Allow"] = exc.get_response().headers["Allow"]
    return response, code
