"""Durable delivery against real HTTP targets: transient vs permanent failures,
Retry-After, dead letters and their replay (API and CLI), fallback receivers and
isolation of a hanging target."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from router.cli.main import main
from router.pipeline.runtime import Runtime
from router.store.schema import attempts, deliveries
from tests.support.httpsink import HttpSink, Reply
from tests.support.sends import wait_for_sends
from tests.support.site import Site, camera

ADMIN = {"Authorization": "Bearer admin-secret"}


def _site(make_runtime: Callable[..., Runtime], rules_path: Path, receivers: str,
          route_receivers: str = "[hook]", **settings: object) -> Site:
    rules = "receivers:\n" + textwrap.indent(textwrap.dedent(receivers).strip("\n"), "  ")
    rules += f"""
routes:
  - receivers: {route_receivers}
    group_by: [camera]
    group_wait: 0s
    repeat_interval: 30d  # no reminders while retries and replays run
"""
    return Site(make_runtime, rules_path, rules, admin_token="admin-secret", **settings)


def _states(site: Site) -> list[tuple[str, str, int]]:
    with site.db.read() as conn:
        return [(r.receiver, r.state, r.attempts) for r in conn.execute(
            select(deliveries).order_by(deliveries.c.id))]


def test_503_three_times_then_200_is_delivered_once(make_runtime: Callable[..., Runtime],
                                                    rules_path: Path) -> None:
    with HttpSink([503, 503, 503, 200]) as sink:
        site = _site(make_runtime, rules_path,
                     f'hook: {{urls: ["json://127.0.0.1:{sink.port}/h"]}}',
                     retry_base_seconds=1, retry_max_seconds=10)
        site.post(camera("S1"))
        site.run()
        for _ in range(6):
            site.advance(10)
        assert len(sink.requests) == 4
        assert _states(site) == [("hook", "delivered", 4)]


def test_429_retry_after_is_honoured_on_the_injected_clock(
        make_runtime: Callable[..., Runtime], rules_path: Path) -> None:
    with HttpSink([Reply(429, headers={"Retry-After": "2"}), 200]) as sink:
        site = _site(make_runtime, rules_path,
                     f'hook: {{urls: ["json://127.0.0.1:{sink.port}/h"]}}',
                     retry_base_seconds=0.1, retry_max_seconds=0.5)
        site.post(camera("S1"))
        site.run()
        assert len(sink.requests) == 1
        site.advance(1.9)  # backoff alone would allow a retry after at most 0.5 s
        assert len(sink.requests) == 1
        site.advance(0.1)
        assert len(sink.requests) == 2
        assert _states(site) == [("hook", "delivered", 2)]


def test_permanent_failure_stops_early(make_runtime: Callable[..., Runtime],
                                       rules_path: Path) -> None:
    with HttpSink(default=404) as sink:
        site = _site(make_runtime, rules_path,
                     f'hook: {{urls: ["json://127.0.0.1:{sink.port}/h"]}}')
        site.post(camera("S1"))
        site.run()
        site.advance(3600)
        assert len(sink.requests) == 1
        assert _states(site) == [("hook", "dead", 1)]
        with site.db.read() as conn:
            error = conn.execute(select(deliveries.c.last_error)).scalar_one()
        assert "permanent failure (permanent, HTTP 404)" in error


def test_dead_letter_listed_and_replayed_through_api_and_cli(
        make_runtime: Callable[..., Runtime], rules_path: Path, database_url: str) -> None:
    make_runtime = partial(make_runtime, database_url=database_url)
    with HttpSink(default=500) as sink:
        site = _site(make_runtime, rules_path,
                     f'hook: {{urls: ["json://127.0.0.1:{sink.port}/h?token=s3cretvalue"]}}',
                     delivery_max_attempts=3)
        site.post(camera("S1"))
        site.post(camera("S2"))
        for _ in range(5):
            site.advance(10_000)
        assert len(sink.requests) == 6
        dead = site.client.get("/api/v1/deliveries?state=dead", headers=ADMIN).get_json()
        assert dead["counts"]["dead"] == 2 and len(dead["results"]) == 2
        assert "s3cretvalue" not in str(dead)
        assert "gave up after 3 attempts" in dead["results"][0]["last_error"]

        sink.default = Reply(200)  # the target works again
        first, second = sorted(d["id"] for d in dead["results"])
        answer = site.client.post(f"/api/v1/deliveries/{first}/replay", headers=ADMIN)
        assert answer.get_json() == {"replayed": [first]}
        site.run()
        assert len(sink.requests) == 7
        again = site.client.post(f"/api/v1/deliveries/{first}/replay", headers=ADMIN)
        assert again.status_code == 409

        env = {"ROUTER_DATABASE_URL": site.runtime.settings.database_url}
        runner = CliRunner()
        listed = runner.invoke(main, ["deliveries", "--dead"], env=env)
        assert listed.exit_code == 0 and f"{second}\tdead\t3" in listed.output
        assert "s3cretvalue" not in listed.output
        replayed = runner.invoke(main, ["replay", "--all-dead"], env=env)
        assert replayed.exit_code == 0 and f"replayed 1: {second}" in replayed.output
        site.clock.advance(time.time() - site.clock.now())  # the CLI replays at wall time
        site.run()
        assert len(sink.requests) == 8
        assert _states(site) == [("hook", "delivered", 4), ("hook", "delivered", 4)]


def test_fallback_receiver_used_when_every_target_is_dead(
        make_runtime: Callable[..., Runtime], rules_path: Path, database_url: str) -> None:
    make_runtime = partial(make_runtime, database_url=database_url)
    # b delivers S1, then fails for good; a always fails.
    with HttpSink(default=500) as a, HttpSink([200], default=503) as b, HttpSink() as backup:
        site = _site(make_runtime, rules_path, f"""
          primary:
            urls: ["json://127.0.0.1:{a.port}/a", "json://127.0.0.1:{b.port}/b"]
            fallback: [backup]
          backup: {{urls: ["json://127.0.0.1:{backup.port}/backup"]}}""",
                     route_receivers="[primary]", delivery_max_attempts=2)
        site.post(camera("S1"))
        site.run()
        site.advance(10_000)
        assert backup.requests == []  # one target delivered S1: no fallback
        site.post(camera("S2"))
        for _ in range(3):
            site.advance(10_000)
        assert len(backup.requests) == 1
        message = backup.requests[0].json()["message"]
        assert "Cam-S2" in message and "Cam-S1" not in message
        assert sorted(_states(site)) == [
            ("backup", "delivered", 1), ("primary", "dead", 2), ("primary", "dead", 2),
            ("primary", "dead", 2), ("primary", "delivered", 1)]


def test_a_hanging_target_does_not_delay_another(make_runtime: Callable[..., Runtime],
                                                 rules_path: Path) -> None:
    # The slow target answers only when the test stops it; two send slots in all.
    with HttpSink(delay=120) as slow, HttpSink() as fast:
        site = _site(make_runtime, rules_path, f"""
          a-slow: {{urls: ["json://127.0.0.1:{slow.port}/slow"]}}
          b-fast: {{urls: ["json://127.0.0.1:{fast.port}/fast"]}}""",
                     route_receivers="[a-slow, b-fast]", delivery_concurrency=2,
                     target_concurrency=1, target_read_timeout=300)
        site.post(camera("S1"), camera("S2"), camera("S3"))
        deadline = time.monotonic() + 60
        while (_states(site).count(("b-fast", "delivered", 1)) < 3
               and time.monotonic() < deadline):
            site.worker.step()
            time.sleep(0.01)
        fast_done = [s for s in _states(site) if s[0] == "b-fast"]
        slow_states = [s for s in _states(site) if s[0] == "a-slow"]
        assert fast_done == [("b-fast", "delivered", 1)] * 3
        assert slow_states == [("a-slow", "pending", 0)] * 3  # one hangs, two wait
        # The recorded times: every fast send happened while the slow one was hanging.
        assert len(slow.requests) == 1
        released_at = time.monotonic()
        assert all(r.time < released_at for r in fast.requests)
        slow.stop()  # answers the hanging request at last
        wait_for_sends(site.worker)
        with site.db.read() as conn:
            outcomes = conn.execute(select(attempts.c.outcome)).scalars().all()
        assert outcomes == ["success"] * 4  # the 3 fast ones, then the slow one
