"""Helpers for the rules tests: write a rules file, build camera events."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from router.errors import RulesError
from router.model import CameraEvent, Status
from router.rules import Rules, load_rules


def write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def rules_from(tmp_path: Path, text: str) -> Rules:
    return load_rules(write(tmp_path, text), {})


def problems(path: Path, environ: dict[str, str] | None = None) -> list[tuple[int, int, str]]:
    """(line, column, message) of every problem, asserting that loading fails."""
    with pytest.raises(RulesError) as caught:
        load_rules(path, environ or {})
    assert all(p.file == str(path) for p in caught.value.problems)
    return [(p.line, p.column, p.message) for p in caught.value.problems]


def event(tags: tuple[str, ...] = (), status: Status = Status.ANOMALY,
          anomalies: Mapping[str, float | None] | None = None, *, serial: str = "cam-1",
          name: str = "Front Entrance", license: str = "LIC-ABC123",
          enriched: bool = False) -> CameraEvent:
    return CameraEvent(alert_id=1, index=0, license=license, serial=serial, name=name,
                       tags=tags, status=status, label="Anomaly",
                       anomalies=anomalies or {}, enriched=enriched)
