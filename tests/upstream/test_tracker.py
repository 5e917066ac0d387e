"""The camera state tracker against a real simulator, on one manual clock: resolved
messages without a webhook, hold-down that sees recoveries, and the budget."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from router.cli.main import main
from router.pipeline.runtime import Runtime
from router.store.schema_groups import camera_state
from router.store.schema_upstream import state_cursors
from router.upstream import build_upstream
from tests.simulator.wiring import HTTP
from tests.support.httpsink import HttpSink
from tests.support.tracking import hook_rules, messages, serials_in, watched


def test_a_camera_back_to_normal_in_the_logs_is_resolved_without_a_webhook(
        make_runtime: Callable[..., Runtime], rules_path: Path) -> None:
    with HttpSink() as sink, watched(make_runtime, rules_path, _rules(sink)) as site:
        site.alert("LIC-0", [{"serial": "C001", "status": "offline"}])
        site.advance(10)
        assert len(messages(sink)) == 1
        site.advance(5 * 60)  # still offline: the tracker reads its offline log only
        assert len(messages(sink)) == 1

        site.log("LIC-0", "C001", "normal")  # upstream only: VisionAlert posts nothing
        # within ROUTER_STATE_INTERVAL (60 s) + group_interval (60 s)
        site.advance(120)
        sent = messages(sink)
        assert len(sent) == 2
        assert "back to normal" in sent[1]["message"] and serials_in(sent[1]) == {"C001"}
        (incident,) = site.incidents()
        assert (incident.state, incident.resolution) == ("resolved", "tracker")
        site.advance(3600)
        assert len(messages(sink)) == 2  # resolved once


def test_hold_down_drops_a_nightly_two_minute_outage_seven_nights_running(
        make_runtime: Callable[..., Runtime], rules_path: Path) -> None:
    with HttpSink() as sink, watched(make_runtime, rules_path,
                                     _rules(sink, route="hold_for: 20m")) as site:
        for _night in range(7):
            site.alert("LIC-0", [{"serial": "C002", "status": "offline"}])
            site.advance(14 * 60, step=60)  # the next log, inside the hold: normal again
            site.log("LIC-0", "C002", "normal")
            site.advance(10 * 60, step=60)
            site.advance(23 * 3600, step=3600)
        assert messages(sink) == []
        codes = [c for _, c in site.codes()]
        assert codes.count("suppressed_by_hold_down") == 7
        assert "repeat_interval_elapsed" not in codes and "first_notification" not in codes
        assert [i.state for i in site.incidents()] == ["resolved"] * 7


def test_the_hold_still_sends_a_camera_that_stays_down(
        make_runtime: Callable[..., Runtime], rules_path: Path) -> None:
    with HttpSink() as sink, watched(make_runtime, rules_path,
                                     _rules(sink, route="hold_for: 20m")) as site:
        site.alert("LIC-0", [{"serial": "C003", "status": "offline"}])
        site.advance(15 * 60, step=60)
        site.log("LIC-0", "C003", "offline")  # the next log: still offline
        site.advance(4 * 60, step=60)
        assert messages(sink) == []  # held
        site.advance(2 * 60, step=60)
        assert len(messages(sink)) == 1 and serials_in(messages(sink)[0]) == {"C003"}


def _rules(sink: HttpSink, route: str = "") -> str:
    return hook_rules(sink, route=f"""\
        group_by: [camera]
        group_wait: 0s
        group_interval: 1m
        send_resolved: true
        {route}""")


def test_logs_across_page_boundaries_and_the_overlap_are_applied_once(
        make_runtime: Callable[..., Runtime], rules_path: Path) -> None:
    with HttpSink() as sink, watched(make_runtime, rules_path, _rules(sink)) as site:
        site.tracker.upstream = build_upstream(site.runtime.settings, site.runtime.db,
                                               site.clock, sleep=site.sleep, page_size=2)
        site.alert("LIC-0", [{"serial": f"C{i:03d}", "status": "offline"} for i in range(5)])
        site.advance(10)
        for i in range(5):  # five normal logs: three pages of two
            site.log("LIC-0", f"C{i:03d}", "normal")
        site.log("LIC-0", "C010", "normal")  # a camera no webhook ever named
        site.advance(120)
        with site.runtime.db.read() as conn:
            tags = conn.execute(select(camera_state.c.tags)
                                .where(camera_state.c.serial == "C010")).scalar_one()
        assert tags == ["site-0"]  # from the cached directory: it counts in its site
        assert len(site.incidents()) == 5
        assert {i.resolution for i in site.incidents()} == {"tracker"}
        before = site.tracker.upstream.background.page_size
        assert before == 2
        with site.runtime.db.read() as conn:
            ids = dict(conn.execute(select(camera_state.c.serial, camera_state.c.log_id)).all())
        site.advance(300)  # rounds re-read the overlap: nothing changes, nothing is resent
        with site.runtime.db.read() as conn:
            again = dict(conn.execute(select(camera_state.c.serial, camera_state.c.log_id)).all())
        assert again == ids
        resolved = [m for m in messages(sink) if "back to normal" in m["message"]]
        assert sorted(s for m in resolved for s in serials_in(m)) == [f"C{i:03d}" for i in range(5)]


def test_with_the_api_down_the_state_is_stale_and_nothing_is_resolved_on_a_guess(
        make_runtime: Callable[..., Runtime], rules_path: Path) -> None:
    route = "repeat_interval: 10m"
    with HttpSink() as sink, watched(make_runtime, rules_path, _rules(sink, route=route)) as site:
        site.alert("LIC-0", [{"serial": "C009", "status": "offline"}])
        site.advance(60)
        assert len(messages(sink)) == 1
        HTTP.put(site.sim.url + "/_sim/faults", json={"error_rate": 1.0})
        site.log("LIC-0", "C009", "normal")  # upstream knows; the router cannot read it
        site.advance(15 * 60, step=60)
        with site.runtime.db.read() as conn:
            (cursor,) = conn.execute(select(state_cursors)).all()
        assert cursor.error and "503" in cursor.error
        (incident,) = site.incidents()
        assert incident.state == "open"  # never resolved on a guess
        reminder = messages(sink)[-1]["message"]
        assert len(messages(sink)) == 2 and "(stale)" in reminder
        HTTP.delete(site.sim.url + "/_sim/faults")
        site.advance(3 * 60, step=30)
        assert site.incidents()[0].resolution == "tracker"
        assert "back to normal" in messages(sink)[-1]["message"]


def test_check_warns_when_hold_for_cannot_see_a_recovery(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("receivers:\n  hook: {urls: ['log://']}\nroutes:\n"
                     "  - name: quick\n    receivers: [hook]\n    match: {status: offline}\n"
                     "    hold_for: 5m\n"
                     "  - name: patient\n    receivers: [hook]\n    hold_for: 20m\n")
    result = CliRunner().invoke(main, ["check", str(rules)],
                                env={"ROUTER_STATE_INTERVAL": "60"})
    assert result.exit_code == 0, result.output
    expected = (f"{rules}:7:15: routes[0].hold_for: warning: hold_for 300s is shorter than "
                "VisionAlert's 15-minute log cadence plus ROUTER_STATE_INTERVAL (960s)")
    assert expected in result.output
    assert "patient" not in result.output and "routes[1]" not in result.output
    off = CliRunner().invoke(main, ["check", str(rules)], env={"ROUTER_STATE_INTERVAL": "0"})
    assert "ROUTER_STATE_INTERVAL is 0 (off)" in off.output
