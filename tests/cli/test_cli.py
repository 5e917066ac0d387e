"""The command line: check, db upgrade, send-sample, help, bad settings."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from click.testing import CliRunner

from router.cli.main import main
from router.receive.sample import SAMPLE_WEBHOOK
from router.store.db import Database
from router.store.migrate import current_revision, head_revision
from tests.support.httpsink import HttpSink
from tests.support.process import REPO


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for var in ("ROUTER_WEBHOOK_TOKEN", "ROUTER_RULES_FILE", "ROUTER_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    return CliRunner()


def test_check_accepts_the_shipped_rules(runner: CliRunner) -> None:
    from router.rules import load_rules

    rules = load_rules(REPO / "rules.yaml")
    result = runner.invoke(main, ["check", str(REPO / "rules.yaml")])
    assert result.exit_code == 0, result.output
    assert f": OK ({len(rules.receivers)} receivers, " in result.output


def test_check_reports_file_line_and_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("receivers:\n  noc:\n    urls: [\"log://\"]\nroutes:\n"
                   "  - receivers: [nope]\n")
    result = runner.invoke(main, ["check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:5:" in result.output
    assert "undefined receiver 'nope'" in result.output


def test_check_uses_rules_file_setting(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    result = runner.invoke(main, ["check"], env={"ROUTER_RULES_FILE": str(missing)})
    assert result.exit_code == 1
    assert str(missing) in result.output


def test_db_upgrade(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = runner.invoke(main, ["db", "upgrade"], env={"ROUTER_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert "database is up to date" in result.output
    db = Database(url)
    assert current_revision(db) == head_revision()
    db.dispose()


def test_bad_setting_is_a_clear_error(runner: CliRunner) -> None:
    result = runner.invoke(main, ["db", "upgrade"], env={"ROUTER_DEDUP_WINDOW": "soon"})
    assert result.exit_code == 1
    assert "invalid settings: ROUTER_DEDUP_WINDOW: Input should be a valid number" in (
        result.output)


@pytest.mark.parametrize("fmt", ["json", "multipart", "form"])
def test_send_sample_posts_the_documented_webhook(runner: CliRunner, fmt: str) -> None:
    with HttpSink(default=200) as sink:
        result = runner.invoke(main, ["send-sample", "--url", sink.url("/webhooks/visionalert"),
                                      "--token", "tok", "--format", fmt])
        assert result.exit_code == 0, result.output
        request = sink.requests[0]
    assert request.header("Authorization") == "Token tok"
    if fmt == "json":
        sent = request.json()
    elif fmt == "form":
        sent = json.loads(parse_qs(request.body.decode())["json"][0])
    else:
        assert request.header("Content-Type", ).startswith("multipart/form-data")
        part = request.body.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n--", 1)[0]
        sent = json.loads(part)
    assert sent == SAMPLE_WEBHOOK


def test_send_sample_reports_unreachable_router(runner: CliRunner) -> None:
    from tests.support.httpsink import unused_port

    url = f"http://127.0.0.1:{unused_port()}/webhooks/visionalert"
    result = runner.invoke(main, ["send-sample", "--url", url])
    assert result.exit_code == 1
    assert f"cannot reach {url}" in result.output


def test_serve_help_lists_every_setting(runner: CliRunner) -> None:
    from router.settings import Settings

    result = runner.invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for name in Settings.model_fields:
        assert f"ROUTER_{name.upper()}" in result.output
