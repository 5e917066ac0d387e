"""Two worker processes on one store: every notification is sent exactly once."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from router.app import create_app
from router.pipeline.runtime import Runtime
from router.settings import Settings
from router.store.migrate import upgrade
from router.store.schema import deliveries, notifications
from tests.support.httpsink import HttpSink
from tests.support.process import RouterProcess
from tests.support.site import camera

pytestmark = pytest.mark.slow


def test_two_workers_send_every_notification_exactly_once(tmp_path: Path) -> None:
    with HttpSink() as sink:
        rules = tmp_path / "rules.yaml"
        rules.write_text(textwrap.dedent(f"""\
            receivers:
              hook: {{urls: ["json://127.0.0.1:{sink.port}/hook"]}}
              also: {{urls: ["json://127.0.0.1:{sink.port}/also"]}}
            routes:
              - receivers: [hook, also]
                group_by: [camera]
                group_wait: 0s
            """))
        env = {"ROUTER_DATABASE_URL": f"sqlite:///{tmp_path / 'router.db'}",
               "ROUTER_RULES_FILE": str(rules), "ROUTER_POLL_SECONDS": "0.02"}
        runtime = Runtime.create(Settings.from_env(env))
        upgrade(runtime.db)
        client = create_app(runtime=runtime).test_client()

        def post(first: int, count: int) -> None:
            for i in range(first, first + count):
                body = {"license": "LIC-1", "cameras": [camera(f"S{i}")]}
                assert client.post("/webhooks/visionalert", json=body).status_code == 200

        post(0, 30)  # a backlog both workers race for
        workers = [RouterProcess(["worker"], env, tmp_path).start() for _ in range(2)]
        try:
            post(30, 30)  # and a stream while both run
            sink.wait_for(120, timeout=60)
        finally:
            # A graceful stop finishes every send in flight: a duplicate would be in by then.
            codes = [w.stop() for w in workers]
        assert codes == [0, 0], [w.output for w in workers]

        sent = [(r.path, re.findall(r"Cam-(S\d+)", r.json()["message"])[0])
                for r in sink.requests]
        assert len(sent) == 120 and len(set(sent)) == 120
        with runtime.db.read() as conn:
            assert conn.execute(select(func.count()).select_from(notifications)).scalar() == 120
            states = conn.execute(select(deliveries.c.state, deliveries.c.attempts)).all()
        assert {tuple(s) for s in states} == {("delivered", 1)} and len(states) == 120
        runtime.db.dispose()
