"""Graceful shutdown: SIGTERM to `serve` (what Kubernetes sends to PID 1).

The grace period is ROUTER_SHUTDOWN_GRACE. A send that outlasts it is handed
back (lease released) and the process exits; the restarted router delivers it
at once, long before its lease (here 300 s) could have expired. A send that
ends within the grace is finished and recorded before the process exits.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from sqlalchemy import select

from router.serve import WebServer
from router.settings import Settings
from router.store.db import Database
from router.store.schema import deliveries
from tests.support.fleet import Poster, serial, write_rules
from tests.support.httpsink import HttpSink, Reply
from tests.support.process import RouterProcess, free_port

GRACE = 2
HANG = 120.0  # far beyond every timeout of the test: only the grace can end it


class Site:
    def __init__(self, tmp_path: Path, sink: HttpSink, grace: float) -> None:
        self.tmp = tmp_path
        self.port = free_port()
        self.db_url = f"sqlite:///{tmp_path / 'router.db'}"
        self.env = {"ROUTER_DATABASE_URL": self.db_url,
                    "ROUTER_RULES_FILE": str(write_rules(tmp_path / "rules.yaml", sink)),
                    "ROUTER_PORT": str(self.port), "ROUTER_LOG_FORMAT": "json",
                    "ROUTER_POLL_SECONDS": "0.05", "ROUTER_LEASE_SECONDS": "300",
                    "ROUTER_SHUTDOWN_GRACE": str(grace),
                    "ROUTER_TARGET_READ_TIMEOUT": str(HANG)}

    def start(self) -> RouterProcess:
        router = RouterProcess(["serve"], self.env, self.tmp).start()
        router.wait_http(f"http://127.0.0.1:{self.port}/healthz", timeout=60)
        return router

    def post(self, n: int) -> None:
        Poster([f"http://127.0.0.1:{self.port}/webhooks/visionalert"], threads=1,
               timeout=30).post_all([serial(n)])

    def deliveries(self) -> list[tuple[str, int, str | None]]:
        db = Database(self.db_url)
        try:
            with db.read() as conn:
                return [tuple(r) for r in conn.execute(select(
                    deliveries.c.state, deliveries.c.attempts, deliveries.c.lease_owner))]
        finally:
            db.dispose()


def _terminate(router: RouterProcess, timeout: float) -> int:
    """SIGTERM the supervisor only, as the kubelet does, and wait for it."""
    assert router.proc is not None
    router.proc.send_signal(signal.SIGTERM)
    return router.wait_exit(timeout=timeout)


@pytest.mark.slow
def test_a_send_outlasting_the_grace_is_handed_back_and_sent_after_restart(
        tmp_path: Path) -> None:
    with HttpSink([Reply(200, delay=HANG)]) as sink:
        site = Site(tmp_path, sink, GRACE)
        router = site.start()
        try:
            site.post(1)
            sink.wait_for(1, timeout=30)  # the send is in flight, and will hang
            # Exits after about GRACE seconds; the bound only guards against a hang.
            assert _terminate(router, timeout=GRACE + 20) == 0, router.output
        finally:
            router.stop()
        assert "shutdown grace expired; handed back unfinished work" in router.output
        assert site.deliveries() == [("pending", 0, None)]  # released, not stranded

        again = site.start()
        try:
            sink.wait_for(2, timeout=30)
        finally:
            assert again.stop() == 0
        assert site.deliveries() == [("delivered", 1, None)]


@pytest.mark.slow
def test_a_send_within_the_grace_is_finished_before_exit(tmp_path: Path) -> None:
    with HttpSink([Reply(200, delay=1.0)]) as sink:
        site = Site(tmp_path, sink, grace=30)
        router = site.start()
        try:
            site.post(1)
            sink.wait_for(1, timeout=30)
            assert _terminate(router, timeout=60) == 0, router.output
        finally:
            router.stop()
        assert "handed back" not in router.output
        assert site.deliveries() == [("delivered", 1, None)]
        assert len(sink.requests) == 1


def test_gunicorn_settings_come_from_the_environment() -> None:
    settings = Settings.from_env({"ROUTER_WEB_WORKERS": "3", "ROUTER_WEB_TIMEOUT": "45",
                                  "ROUTER_WEB_KEEPALIVE": "7", "ROUTER_SHUTDOWN_GRACE": "12",
                                  "ROUTER_PORT": "9123"})
    cfg = WebServer(settings).cfg
    assert (cfg.workers, cfg.timeout, cfg.keepalive, cfg.graceful_timeout) == (3, 45, 7, 12)
    assert cfg.bind == ["127.0.0.1:9123"]
    assert cfg.accesslog is None  # the router logs one line per request itself


def test_shutdown_grace_defaults_to_20_seconds() -> None:
    assert Settings.from_env({}).shutdown_grace == 20
