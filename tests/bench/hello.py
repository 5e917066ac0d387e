"""A hello-world Flask app behind the router's own gunicorn configuration: the baseline.

``HelloServer`` subclasses :class:`router.serve.WebServer`, so bind, workers, worker
class, keepalive and timeouts come from the same ``load_config`` (and the same
``ROUTER_*`` settings) as the real web role; only the application differs.

Run: ``.venv/bin/python tests/bench/hello.py --port 8099``
"""

from __future__ import annotations

import argparse
from typing import Any

from flask import Flask, jsonify, request

from router.serve import WebServer
from router.settings import Settings


def hello_app() -> Flask:
    app = Flask("hello")

    @app.get("/healthz")
    def healthz():  # type: ignore[no-untyped-def]
        return jsonify(status="ok")

    @app.post("/webhooks/visionalert")
    def receive():  # type: ignore[no-untyped-def]
        request.get_data()  # read the body, as the real endpoint does
        return jsonify(status="ok"), 200

    return app


def _no_hook(_worker: Any) -> None:
    """Stands in for a router hook that needs the router's app object."""


# Gunicorn server hooks that read the router's Flask app (e.g. the rules watcher in
# post_worker_init) cannot run against the hello app; every other setting is inherited.
_APP_HOOKS = ("post_worker_init",)


class HelloServer(WebServer):
    """Same gunicorn settings as the web role; ``load()`` returns the hello app."""

    def load_config(self) -> None:
        super().load_config()
        for hook in _APP_HOOKS:
            self.cfg.set(hook, _no_hook)

    def load(self) -> Flask:
        return hello_app()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    HelloServer(Settings.from_env(host=args.host, port=args.port)).run()


if __name__ == "__main__":
    main()
