"""A worker killed with SIGKILL at the worst moments loses nothing and sends nothing twice.

The worker runs as a real process; ``ROUTER_FAILPOINTS`` makes it SIGKILL itself at
a named point. A second worker then takes over once the lease has expired.
"""

from __future__ import annotations

import json
import re
import signal
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from router.app import create_app
from router.pipeline.runtime import Runtime
from router.receive.sample import SAMPLE_WEBHOOK
from router.settings import Settings
from router.store.migrate import upgrade
from router.store.schema import deliveries
from tests.support.httpsink import HttpSink
from tests.support.process import RouterProcess

pytestmark = pytest.mark.slow


def _alert(serial: str) -> dict[str, object]:
    body = json.loads(json.dumps(SAMPLE_WEBHOOK))
    body["cameras"][0]["serial"] = serial
    body["cameras"][0]["name"] = f"Cam-{serial}"
    return body


class Site:
    """A store, rules pointing at a sink, and a way to post webhooks into the store."""

    def __init__(self, tmp_path: Path, sink: HttpSink) -> None:
        self.tmp = tmp_path
        self.rules = tmp_path / "rules.yaml"
        self.rules.write_text(textwrap.dedent(f"""\
            defaults: {{group_wait: 0s, group_by: [camera]}}
            receivers:
              hook:
                urls: ["json://127.0.0.1:{sink.port}/hook"]
            routes:
              - receivers: [hook]
            """))
        self.env = {"ROUTER_DATABASE_URL": f"sqlite:///{tmp_path / 'router.db'}",
                    "ROUTER_RULES_FILE": str(self.rules), "ROUTER_LEASE_SECONDS": "1",
                    "ROUTER_POLL_SECONDS": "0.05"}
        settings = Settings.from_env(self.env)
        self.runtime = Runtime.create(settings)
        upgrade(self.runtime.db)
        self.client = create_app(runtime=self.runtime).test_client()

    def post(self, serial: str) -> None:
        assert self.client.post("/webhooks/visionalert", json=_alert(serial)).status_code == 200

    def worker(self, failpoint: str | None = None) -> RouterProcess:
        env = dict(self.env)
        if failpoint:
            env["ROUTER_FAILPOINTS"] = failpoint
        return RouterProcess(["worker"], env, self.tmp).start()

    def delivery_states(self) -> list[tuple[str, int]]:
        with self.runtime.db.read() as conn:
            return [tuple(r) for r in conn.execute(
                select(deliveries.c.state, deliveries.c.attempts).order_by(deliveries.c.id))]


def _names(sink: HttpSink) -> list[str]:
    # One camera per message (group_by camera); its name, whatever the template around it.
    return [sorted(set(re.findall(r"Cam-([A-Za-z0-9]+)", r.json()["message"])))[0]
            for r in sink.requests]


@pytest.mark.parametrize("failpoint,sent_before_kill", [
    ("worker.inbox.claimed", 0),      # claimed the alert, routed nothing
    ("worker.inbox.recorded", 0),     # routed and recorded, sent nothing
    ("worker.group.claimed", 0),      # claimed the due group, flushed nothing
    ("worker.group.flushed", 0),      # notification and deliveries recorded, sent nothing
    ("worker.delivery.claimed", 0),   # claimed the delivery, about to send
    ("worker.delivery.recorded", 1),  # sent and recorded, killed right after
])
def test_killed_worker_loses_nothing_and_sends_once(tmp_path: Path, failpoint: str,
                                                    sent_before_kill: int) -> None:
    with HttpSink() as sink:
        site = Site(tmp_path, sink)
        site.post("A1")
        doomed = site.worker(failpoint)
        assert doomed.wait_exit(timeout=30) == -signal.SIGKILL, doomed.output
        assert len(sink.requests) == sent_before_kill

        survivor = site.worker()
        try:
            sink.wait_for(1, timeout=30)
            # A second alert proves the survivor kept working past the first one's lease.
            site.post("B2")
            sink.wait_for(2, timeout=30)
        finally:
            assert survivor.stop() == 0, survivor.output
        assert sorted(_names(sink)) == ["A1", "B2"]
        assert site.delivery_states() == [("delivered", 1), ("delivered", 1)]
