"""The application factory: ``create_app(settings)`` -> Flask. Reads no config at import."""

from __future__ import annotations

import logging

from flask import Flask

from router.clock import Clock
from router.pipeline.runtime import Runtime
from router.receive import view as webhooks
from router.receive.lane import WebhookLane
from router.settings import Settings
from router.web import api, dashboard, ops
from router.web.errors import register_error_handlers

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None,
               clock: Clock | None = None) -> Flask:
    if runtime is None:
        runtime = Runtime.create(settings or Settings.from_env(), clock=clock)
    app = Flask("router")
    app.config["MAX_CONTENT_LENGTH"] = runtime.settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["router"] = runtime
    register_error_handlers(app)
    app.register_blueprint(ops.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(api.bp)
    # JSON webhooks are answered in front of Flask (see webhook_lane for why).
    app.wsgi_app = WebhookLane(app.wsgi_app, runtime)  # type: ignore[method-assign]
    dashboard.init_app(app, runtime)  # the UI at /, its session key and cookie flags
    return app
