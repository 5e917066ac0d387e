"""The built-in log:// sink, through real Apprise."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import apprise
import pytest

from router.channels import logsink
from router.pipeline.deliver import send


def _send(url: str, title: str = "Cam-01 offline", body: str = "line 1\nline 2") -> bool:
    return send(url, title, body, connect_timeout=1, read_timeout=1).ok


def test_writes_one_line_to_the_router_sink_logger(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="router.sink")
    assert _send("log://")
    [record] = [r for r in caplog.records if r.name == "router.sink"]
    assert record.levelno == logging.INFO
    assert record.getMessage() == r"notification title=Cam-01 offline body=line 1\nline 2"
    assert "\n" not in record.getMessage()
    assert record.title == "Cam-01 offline"  # type: ignore[attr-defined]
    assert record.body == "line 1\nline 2"  # type: ignore[attr-defined]


def test_appends_json_lines_to_a_file(tmp_path: Path) -> None:
    path = tmp_path / "with space" / "sink.log"
    path.parent.mkdir()
    url = f"log://?file={quote(str(path), safe='')}"
    assert _send(url, title="first")
    assert _send(url, title="second", body="b")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["title"] == "first" and first["body"] == "line 1\nline 2"
    assert first["type"] == "info"
    assert datetime.fromisoformat(first["time"]).tzinfo is not None
    assert second["title"] == "second"


def test_path_form_is_refused_with_a_reason(tmp_path: Path) -> None:
    attempt = send(f"log://{tmp_path}/sink.log", "t", "b", connect_timeout=1, read_timeout=1)
    assert not attempt.ok
    assert attempt.error is not None and "log://?file=PATH" in attempt.error
    assert not (tmp_path / "sink.log").exists()


def test_unwritable_file_fails_the_attempt(tmp_path: Path) -> None:
    attempt = send(f"log://?file={tmp_path}/missing/dir/x.log", "t", "b",
                   connect_timeout=1, read_timeout=1)
    assert attempt.outcome == "failure"
    assert attempt.error is not None and "cannot append" in attempt.error


def test_register_is_idempotent_and_apprise_reports_success(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="apprise")
    logsink.register()
    logsink.register()
    assert "already defined" not in caplog.text
    notifier = apprise.Apprise()
    assert notifier.add("log://")
    result = notifier.notify(title="t", body="b")
    assert result.status == apprise.AppriseResultStatus.SUCCESS
