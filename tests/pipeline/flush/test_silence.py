"""Silences: matcher-based, created/listed/expired through the admin API and the CLI,
read at every flush (so they start and stop applying without a restart)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner

from router.cli.main import main
from router.pipeline.runtime import Runtime
from tests.support.httpsink import HttpSink
from tests.support.site import Site, camera

ADMIN = {"Authorization": "Bearer admin-secret"}


def _site(make_runtime: Callable[..., Runtime], rules_path: Path, sink: HttpSink) -> Site:
    return Site(make_runtime, rules_path, f"""\
        receivers:
          hook: {{urls: ["json://127.0.0.1:{sink.port}/hook"]}}
        routes:
          - receivers: [hook]
            group_by: [camera]
            group_wait: 0s
        """, admin_token="admin-secret")


def _sent(sink: HttpSink) -> list[set[str]]:
    return [set(re.findall(r"Cam-(S\d+)", r.json()["message"])) for r in sink.requests]


def test_api_silence_mutes_until_expired(make_runtime: Callable[..., Runtime],
                                         rules_path: Path, database_url: str) -> None:
    make_runtime = partial(make_runtime, database_url=database_url)
    with HttpSink() as sink:
        site = _site(make_runtime, rules_path, sink)
        made = site.client.post("/api/v1/silences", headers=ADMIN, json={
            "matchers": {"tags": ["site-a"], "status": ["offline"]}, "duration": "2h",
            "author": "ana", "comment": "power work at site A"})
        assert made.status_code == 201, made.get_json()
        silence = made.get_json()
        assert silence["state"] == "active" and silence["author"] == "ana"

        site.post(camera("S1", tags=["site-a"]), camera("S2", tags=["site-b"]))
        site.run()
        assert _sent(sink) == [{"S2"}]
        assert ("S1", "silenced") in site.codes()
        listed = site.client.get("/api/v1/silences?state=active", headers=ADMIN).get_json()
        assert [s["id"] for s in listed["silences"]] == [silence["id"]]

        gone = site.client.delete(f"/api/v1/silences/{silence['id']}", headers=ADMIN)
        assert gone.get_json()["state"] == "expired"
        site.post(camera("S3", tags=["site-a"]))
        site.run()
        assert _sent(sink) == [{"S2"}, {"S3"}]


def test_silence_ends_by_itself_and_a_future_one_waits(make_runtime: Callable[..., Runtime],
                                                       rules_path: Path) -> None:
    with HttpSink() as sink:
        site = _site(make_runtime, rules_path, sink)
        now = site.clock.now()
        for starts, ends in ((now - 7200, now + 60), (now + 3600, now + 7200)):
            made = site.client.post("/api/v1/silences", headers=ADMIN, json={
                "matchers": {"camera": ["S1"]}, "starts_at": starts, "ends_at": ends,
                "author": "ana", "comment": "lens cleaning"})
            assert made.status_code == 201
        site.post(camera("S1"))
        site.run()
        assert sink.requests == []
        site.advance(61)  # the first silence is over; the second has not started
        site.post(camera("S1", anomaly="Blur"))
        site.advance(300)  # the group's next flush: group_interval after the silenced one
        assert _sent(sink) == [{"S1"}]
        states = {s["state"] for s in site.client.get(
            "/api/v1/silences", headers=ADMIN).get_json()["silences"]}
        assert states == {"expired", "pending"}


@pytest.mark.parametrize("body,message", [
    ({"matchers": {"colour": ["red"]}, "duration": "1h", "author": "a", "comment": "c"},
     "colour"),
    ({"matchers": {"status": ["offline"]}, "author": "a", "comment": "c"},
     "give exactly one of ends_at and duration"),
    ({"matchers": {"status": ["offline"]}, "duration": "soon", "author": "a", "comment": "c"},
     "duration: invalid duration"),
    ({"matchers": {"status": ["offline"]}, "duration": "1h", "comment": "c"}, "author"),
    ({"matchers": {}, "duration": "1h", "author": "a", "comment": "c"}, "matchers"),
    ({"matchers": {"status": ["offline"]}, "starts_at": "2026-11-25T10:00:00Z",
      "ends_at": "2026-11-25T09:00:00Z", "author": "a", "comment": "c"}, "ends_at must be"),
])
def test_bad_silence_is_a_400_and_stores_nothing(make_runtime: Callable[..., Runtime],
                                                 rules_path: Path, body: dict[str, object],
                                                 message: str) -> None:
    with HttpSink() as sink:
        site = _site(make_runtime, rules_path, sink)
        answer = site.client.post("/api/v1/silences", headers=ADMIN, json=body)
        assert answer.status_code == 400
        assert message in answer.get_json()["error"]
        assert site.client.get("/api/v1/silences", headers=ADMIN).get_json() == {"silences": []}
        assert site.client.post("/api/v1/silences", json=body).status_code == 401


def test_cli_silence_add_list_expire(make_runtime: Callable[..., Runtime], rules_path: Path,
                                     tmp_path: Path) -> None:
    with HttpSink() as sink:
        site = _site(make_runtime, rules_path, sink)
        env = {"ROUTER_DATABASE_URL": f"sqlite:///{tmp_path / 'router.db'}"}
        runner = CliRunner()

        def catch_up() -> None:
            # The CLI stamps silences with the wall clock: the site's clock follows it here.
            site.clock.advance(time.time() - site.clock.now())

        added = runner.invoke(main, ["silence", "add", "--match", "tags=site-a",
                                     "--match", "status=offline", "--duration", "1h",
                                     "--author", "bo", "--comment", "maintenance"], env=env)
        assert added.exit_code == 0, added.output
        silence_id = int(added.output.split()[1])
        catch_up()
        listed = runner.invoke(main, ["silence", "list"], env=env)
        assert listed.exit_code == 0 and "maintenance" in listed.output
        assert listed.output.startswith(f"{silence_id}\tactive")

        site.post(camera("S1", tags=["site-a"]))
        site.run()
        assert sink.requests == []

        expired = runner.invoke(main, ["silence", "expire", str(silence_id)], env=env)
        assert expired.exit_code == 0 and "expired" in expired.output
        catch_up()
        site.post(camera("S2", tags=["site-a"]))
        site.run()
        assert _sent(sink) == [{"S2"}]

        bad = runner.invoke(main, ["silence", "add", "--match", "colour=red", "--comment", "x"],
                            env=env)
        assert bad.exit_code == 1 and "colour" in bad.output
        missing = runner.invoke(main, ["silence", "expire", "999"], env=env)
        assert missing.exit_code == 1 and "no silence with id 999" in missing.output
