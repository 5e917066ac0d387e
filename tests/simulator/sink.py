"""A real HTTP server on 127.0.0.1 that records the webhooks it receives."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, request
from werkzeug.serving import make_server


@dataclass
class Received:
    content_type: str
    authorization: str | None
    json: Any
    form: dict[str, str]
    files: dict[str, bytes]


@dataclass
class Sink:
    status: int = 200
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        app = Flask("sink")

        @app.post("/hook")
        def hook() -> tuple[str, int]:
            self.received.append(Received(
                content_type=request.content_type or "",
                authorization=request.headers.get("Authorization"),
                json=request.get_json(silent=True),
                form=dict(request.form),
                files={k: f.read() for k, f in request.files.items()}))
            return "ok", self.status

        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
