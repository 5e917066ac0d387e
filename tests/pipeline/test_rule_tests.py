"""`visionalert-router test`: the shipped cases pass as a real command; a failing case
prints a unified diff and exits 1; --update rewrites snapshots."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner

from router.cli.rules import test_command as route_tests

ROOT = Path(__file__).resolve().parents[2]

RULES = """\
    receivers:
      noc: {urls: ["log://"]}
      console: {urls: ["log://"], title: "T {{ event.name }}", body: "B {{ event.serial }}"}
    routes:
      - match: {status: offline}
        receivers: [noc]
      - receivers: [console]
    """


def write_case(tmp_path: Path, expect: str, snapshot: str = "") -> Path:
    (tmp_path / "rules.yaml").write_text(textwrap.dedent(RULES))
    tests = tmp_path / "rules.tests.yaml"
    tests.write_text(textwrap.dedent("""\
        cases:
          - name: blur goes to the console
            at: 2024-03-04T10:00:00Z
            payload:
              license: L
              cameras: [{serial: cam-1, anomaly: Blur}]
            expect:
        """) + textwrap.indent(textwrap.dedent(expect), " " * 6) + snapshot)
    return tests


def test_shipped_route_tests_pass_as_a_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "router", "test", "rules.tests.yaml"], cwd=ROOT,
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("4 passed, 0 failed")


def test_a_failing_case_prints_a_diff_and_exits_1(tmp_path: Path) -> None:
    tests = write_case(tmp_path, "cameras: {cam-1: [noc]}\n")
    result = CliRunner().invoke(route_tests, [str(tests)])
    assert result.exit_code == 1
    assert "FAIL blur goes to the console\n--- expected\n+++ actual\n" in result.output
    assert " cameras:\n   cam-1:\n-  - noc\n+  - console\n" in result.output
    assert result.output.strip().endswith("0 passed, 1 failed")


def test_receivers_for_the_whole_payload(tmp_path: Path) -> None:
    tests = write_case(tmp_path, "receivers: [console]\n")
    result = CliRunner().invoke(route_tests, [str(tests)])
    assert result.exit_code == 0, result.output


def test_update_writes_the_snapshot_then_it_passes(tmp_path: Path) -> None:
    tests = write_case(tmp_path, "receivers: [console]\n", "    snapshot: {}\n")
    assert CliRunner().invoke(route_tests, [str(tests)]).exit_code == 1
    result = CliRunner().invoke(route_tests, [str(tests), "--update"])
    assert result.exit_code == 0, result.output
    assert "1 snapshot(s) updated" in result.output
    text = tests.read_text()
    assert "routes[1]/console:\n          title: T cam-1\n          body: B cam-1\n" in text
    assert CliRunner().invoke(route_tests, [str(tests)]).exit_code == 0
    # A template change is caught by the snapshot, with the changed line in the diff.
    rules = tmp_path / "rules.yaml"
    rules.write_text(rules.read_text().replace('"B {{', '"Body {{'))
    result = CliRunner().invoke(route_tests, [str(tests)])
    assert result.exit_code == 1
    assert "-      body: B cam-1\n+      body: Body cam-1\n" in result.output


def test_a_broken_case_is_an_error_not_a_crash(tmp_path: Path) -> None:
    tests = write_case(tmp_path, "receivers: [console]\n")
    tests.write_text(tests.read_text().replace("anomaly: Blur", "anomaly: 7"))
    result = CliRunner().invoke(route_tests, [str(tests)])
    assert result.exit_code == 1
    assert "ERROR blur goes to the console: cameras[0].anomaly must be a string" in result.output


def test_rules_option_wins(tmp_path: Path) -> None:
    tests = write_case(tmp_path, "receivers: [noc]\n")
    other = tmp_path / "other.yaml"
    other.write_text('receivers: {noc: {urls: ["log://"]}}\nroutes: [{receivers: [noc]}]\n')
    result = CliRunner().invoke(route_tests, [str(tests), "--rules", str(other)])
    assert result.exit_code == 0, result.output
