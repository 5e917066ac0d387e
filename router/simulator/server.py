"""A real HTTP simulator on a background thread, for tests, benchmarks and demos."""

from __future__ import annotations

import threading
from types import TracebackType

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from router.clock import Clock

from .app import create_app
from .config import SimulatorConfig
from .context import SimContext, sim_of
from .control import deliver
from .webhook import WebhookResult


class SimulatorServer:
    """``with SimulatorServer() as sim: httpx.get(sim.base_url + "licenses/", ...)``.

    Port 0 picks a free port; ``url`` is the server root and ``base_url`` the
    API root to give the router as ``ROUTER_VISIONALERT_URL``.
    """

    def __init__(self, config: SimulatorConfig | None = None, *, clock: Clock | None = None,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config or SimulatorConfig()
        self.app: Flask = create_app(self.config, clock=clock)
        self._server: BaseWSGIServer = make_server(host, port, self.app, threaded=True)
        self._thread: threading.Thread | None = None
        self.host, self.port = host, self._server.server_port
        if self.config.public_url is None:
            self.config.public_url = self.url

    @property
    def url(self) -> str:
        # A wildcard bind is reachable on loopback; "0.0.0.0" is not a usable URL host.
        host = "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host  # noqa: S104
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1/vision-alert/"

    @property
    def context(self) -> SimContext:
        return sim_of(self.app)

    def start(self) -> SimulatorServer:
        # A short poll interval makes stop() quick: tests start and stop many servers.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="visionalert-simulator", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on the calling thread (the CLI) until interrupted."""
        self._server.serve_forever()

    def stop(self) -> None:
        self.context.faults.release()  # let hanging requests finish so shutdown is quick
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def send_startup_webhooks(self) -> list[WebhookResult]:
        """Send the scenario alerts marked ``webhook: true`` to the configured target."""
        ctx, target = self.context, self.config.webhook_target
        if not target:
            return []
        base = self.config.public_url or self.url
        return [deliver(ctx, ctx.state.alerts[i], base, target=target,
                        fmt=self.config.webhook_format, token=self.config.webhook_token)
                for i in ctx.startup_webhooks if i in ctx.state.alerts]

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
