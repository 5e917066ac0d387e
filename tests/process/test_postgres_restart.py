"""PostgreSQL restarts while the router is busy: it recovers by itself and loses nothing.

A `serve` process on PostgreSQL receives a stream of webhooks; half-way the
server is restarted (``pg_ctlcluster ... restart``). Webhooks refused during the
outage (503) are re-posted, as VisionAlert does; every accepted one must reach
the sink. The server is started again at the end even if the test fails.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from tests.support import postgres
from tests.support.fleet import Poster, serial, wait_delivered, write_rules
from tests.support.httpsink import HttpSink
from tests.support.process import RouterProcess, free_port

pytestmark = pytest.mark.slow

WEBHOOKS = 300
RESTART_AFTER = 100


@pytest.fixture
def controllable(postgresql_url: str) -> str:
    if not postgres.can_control():
        pytest.skip("pg_ctlcluster not available: cannot restart the server")
    return postgresql_url


def test_service_recovers_from_a_database_restart(tmp_path: Path, controllable: str) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with HttpSink() as sink:
        env = {"ROUTER_DATABASE_URL": controllable,
               "ROUTER_RULES_FILE": str(write_rules(tmp_path / "rules.yaml", sink)),
               "ROUTER_PORT": str(port), "ROUTER_LOG_FORMAT": "json",
               "ROUTER_LEASE_SECONDS": "3", "ROUTER_POLL_SECONDS": "0.05",
               "ROUTER_RETRY_BASE_SECONDS": "0.5", "ROUTER_RETRY_MAX_SECONDS": "1"}
        router = RouterProcess(["serve"], env, tmp_path).start()
        restarted = threading.Event()
        try:
            router.wait_http(f"{base}/readyz", timeout=60)
            poster = Poster([f"{base}/webhooks/visionalert"], threads=4, timeout=120)

            def restart_once(accepted: int) -> None:
                if accepted >= RESTART_AFTER and not restarted.is_set():
                    restarted.set()
                    postgres.control("restart")

            serials = [serial(i) for i in range(WEBHOOKS)]
            poster.post_all(serials, on_progress=restart_once)
            assert restarted.is_set()
            try:
                wait_delivered(sink, set(serials), timeout=90, alive=lambda: _alive(router))
            except AssertionError as exc:  # with the service's own account of why
                raise AssertionError(f"{exc}\n--- router output ---\n"
                                     f"{router.output[-4000:]}") from None
            # Ready again without anyone touching it.
            router.wait_http(f"{base}/readyz", timeout=30)
            scrape = httpx.get(f"{base}/metrics", timeout=10).text
            assert "router_store_up 1.0" in scrape
            assert "router_inbox_depth 0.0" in scrape
            print(f"\npostgres restart: {WEBHOOKS} webhooks, {poster.retries} re-posts during "
                  f"the outage, {len(sink.requests)} messages for {WEBHOOKS} camera events")
        finally:
            postgres.ensure_running()
            router.stop()


def _alive(router: RouterProcess) -> None:
    assert router.proc is not None and router.proc.poll() is None, router.output
