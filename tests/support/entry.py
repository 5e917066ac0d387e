"""The two ways into the webhook endpoint: the WSGI lane in front of Flask, and the
Flask view alone (what the lane hands over: forms, chunked or oversized bodies)."""

from __future__ import annotations

from flask import Flask

from router.app import create_app
from router.pipeline.runtime import Runtime
from router.receive.lane import WebhookLane

ENTRIES = ("lane", "flask")


def make_app(runtime: Runtime, entry: str = "lane") -> Flask:
    app = create_app(runtime=runtime)
    assert isinstance(app.wsgi_app, WebhookLane)
    if entry == "flask":
        app.wsgi_app = app.wsgi_app.inner  # type: ignore[method-assign]
    return app
