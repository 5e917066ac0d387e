"""A router site for lifecycle tests: rules, the app, an in-process worker on a manual
clock, and helpers to post camera events and read what the store decided."""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml
from flask.testing import FlaskClient
from sqlalchemy import select

from router.app import create_app
from router.clock import ManualClock
from router.pipeline.runtime import Runtime
from router.pipeline.worker import Worker
from router.rules.inhibit import with_inhibition_and_fallbacks
from router.rules.models import RulesSpec
from router.store.schema import camera_events, decisions, notifications
from tests.support.sends import wait_for_sends

_NONCE = itertools.count()


def camera(serial: str, anomaly: str = "Offline", tags: Sequence[str] = ("site-a",),
           **extra: Any) -> dict[str, Any]:
    return {"serial": serial, "name": f"Cam-{serial}", "anomaly": anomaly, "tags": list(tags),
            **extra}


class Site:
    """``rules`` is rules.yaml text; lifecycle keys the rules builder may not compile yet
    (receivers' ``fallback``/``rate_limit``, ``inhibit_rules``) are applied from it here."""

    def __init__(self, make_runtime: Callable[..., Runtime], rules_path: Path, rules: str,
                 **settings: object) -> None:
        text = textwrap.dedent(rules)
        rules_path.write_text(text)
        self.clock = ManualClock()
        self.runtime: Runtime = make_runtime(clock=self.clock, **settings)
        spec = RulesSpec.model_validate(yaml.safe_load(text))
        self.runtime.rules.current = with_inhibition_and_fallbacks(self.runtime.rules.get(), spec)
        self.client: FlaskClient = create_app(runtime=self.runtime).test_client()
        self.worker = Worker(self.runtime)

    @property
    def db(self) -> Any:
        return self.runtime.db

    def post(self, *cameras: dict[str, Any], license: str = "LIC-1") -> int:
        # A nonce keeps a repeated event from being taken for a duplicate webhook.
        body = {"license": license, "nonce": next(_NONCE), "cameras": list(cameras)}
        answer = self.client.post("/webhooks/visionalert", json=body)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return int(answer.get_json()["alert_id"])

    def run(self) -> None:
        """Route, flush and send everything due now, and wait for the sends."""
        while self.worker.step():
            wait_for_sends(self.worker)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.run()

    def codes(self, receiver: str | None = None) -> list[tuple[str, str]]:
        """(serial, reason code) of every lifecycle decision, in order."""
        stmt = (select(camera_events.c.serial, decisions.c.code)
                .join(camera_events, camera_events.c.id == decisions.c.camera_event_id)
                .where(decisions.c.code.is_not(None)).order_by(decisions.c.id))
        if receiver is not None:
            stmt = stmt.where(decisions.c.receiver == receiver)
        with self.db.read() as conn:
            return [(r.serial, r.code) for r in conn.execute(stmt)]

    def notifications(self) -> list[Any]:
        with self.db.read() as conn:
            return list(conn.execute(select(notifications).order_by(notifications.c.id)))
