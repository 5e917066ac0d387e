"""``visionalert-router incidents list|show|ack`` on the store of ROUTER_DATABASE_URL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from router.cli.main import main
from router.pipeline.runtime import Runtime
from router.store.schema_groups import incident_events, incidents
from tests.web.api.test_incidents import add_incident
from tests.web.fixtures import START


@pytest.fixture
def env(make_runtime: Callable[..., Runtime], tmp_path: Path, rules_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for var in ("ROUTER_WEBHOOK_TOKEN", "ROUTER_ADMIN_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    make_runtime()  # migrates the store
    return {"ROUTER_DATABASE_URL": f"sqlite:///{tmp_path / 'router.db'}",
            "ROUTER_RULES_FILE": str(rules_path), "LOGNAME": "cli-tester",
            "USER": "cli-tester"}


@pytest.fixture
def rt(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime()


def _row(rt: Runtime, incident_id: int) -> Any:
    with rt.db.read() as conn:
        return conn.execute(select(incidents).where(incidents.c.id == incident_id)).one()


def test_list_filters_and_json(env: dict[str, str], rt: Runtime) -> None:
    a1 = add_incident(rt.db, serial="A1", opened_at=START)
    b1 = add_incident(rt.db, license="LIC-B", serial="B1", opened_at=START + 60,
                      state="resolved", resolved_at=START + 360, resolution="tracker")
    a2 = add_incident(rt.db, serial="A2", opened_at=START + 120, state="acknowledged",
                      acked_by="bo")
    runner = CliRunner()
    listed = runner.invoke(main, ["incidents", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert [int(line.split("\t")[0]) for line in lines] == [a2, b1, a1]
    assert lines[1].split("\t")[1:4] == ["resolved", "2027-01-15T08:01:00Z", "5m00s"]
    assert "Cam-A1" in lines[2] and "offline" in lines[2]
    assert runner.invoke(main, ["incidents", "list", "--state", "open"],
                         env=env).output.split("\t")[0] == str(a1)
    by_license = runner.invoke(main, ["incidents", "list", "--license", "LIC-B"], env=env)
    assert [line.split("\t")[0] for line in by_license.output.splitlines()] == [str(b1)]
    by_camera = runner.invoke(main, ["incidents", "list", "--camera", "A2"], env=env)
    assert [line.split("\t")[0] for line in by_camera.output.splitlines()] == [str(a2)]
    limited = runner.invoke(main, ["incidents", "list", "--limit", "2", "--json"], env=env)
    assert limited.exit_code == 0, limited.output
    rows = json.loads(limited.output)
    assert [r["id"] for r in rows] == [a2, b1]
    assert rows[1]["duration"] == 300 and rows[0]["acked_by"] == "bo"
    none = runner.invoke(main, ["incidents", "list", "--camera", "nope"], env=env)
    assert none.exit_code == 0 and "no incidents" in none.output
    bad = runner.invoke(main, ["incidents", "list", "--state", "foo"], env=env)
    assert bad.exit_code == 2 and "foo" in bad.output


def test_show_prints_the_timeline_in_utc(env: dict[str, str], rt: Runtime) -> None:
    incident_id = add_incident(rt.db, state="resolved", resolved_at=START + 90,
                               resolution="tracker")
    runner = CliRunner()
    shown = runner.invoke(main, ["incidents", "show", str(incident_id)], env=env)
    assert shown.exit_code == 0, shown.output
    assert f"incident {incident_id}: resolved - Cam-A1 (A1, license LIC-A) offline" \
        in shown.output
    assert "resolved 2027-01-15T08:01:30Z (tracker): camera normal again" in shown.output
    assert "2027-01-15T08:00:00Z  opened" in shown.output
    assert "2027-01-15T08:00:05Z  notified" in shown.output and "[receiver noc]" in shown.output
    as_json = runner.invoke(main, ["incidents", "show", str(incident_id), "--json"], env=env)
    found = json.loads(as_json.output)
    assert [e["kind"] for e in found["timeline"]] == ["opened", "notified", "resolved"]
    missing = runner.invoke(main, ["incidents", "show", "999"], env=env)
    assert missing.exit_code == 1 and "no incident 999" in missing.output


def test_ack_changes_the_state_in_the_database(env: dict[str, str], rt: Runtime) -> None:
    incident_id = add_incident(rt.db)
    runner = CliRunner()
    done = runner.invoke(main, ["incidents", "ack", str(incident_id), "--comment", "on it"],
                         env=env)
    assert done.exit_code == 0, done.output
    assert f"incident {incident_id} acknowledged by cli-tester" in done.output
    row = _row(rt, incident_id)
    assert row.state == "acknowledged"
    assert row.acked_by == "cli-tester" and row.ack_comment == "on it"
    with rt.db.read() as conn:
        kinds = conn.execute(select(incident_events.c.kind)
                             .where(incident_events.c.incident_id == incident_id)).scalars()
        assert "acknowledged" in list(kinds)
    again = runner.invoke(main, ["incidents", "ack", str(incident_id), "--by", "bo"], env=env)
    assert again.exit_code == 0, again.output
    assert "already acknowledged by cli-tester" in again.output
    assert _row(rt, incident_id).acked_by == "cli-tester"


def test_ack_errors_exit_1(env: dict[str, str], rt: Runtime) -> None:
    runner = CliRunner()
    missing = runner.invoke(main, ["incidents", "ack", "999", "--by", "ana"], env=env)
    assert missing.exit_code == 1 and "no incident 999" in missing.output
    resolved = add_incident(rt.db, state="resolved", resolved_at=START + 60,
                            resolution="webhook")
    refused = runner.invoke(main, ["incidents", "ack", str(resolved), "--by", "ana"], env=env)
    assert refused.exit_code == 1 and "resolved already" in refused.output
    assert _row(rt, resolved).acked_by is None
