"""The README's "How it works" diagram names, for each stage, a module that exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STAGE = re.compile(r"^\s*-> (\w+)\s")
PATH = re.compile(r"\brouter/[\w/]+(?:\.py|/)")


def _diagram() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## How it works", 1)[1]
    return section.split("```", 2)[1].splitlines()


def test_every_stage_names_its_module_and_each_module_exists() -> None:
    lines = _diagram()
    stages: dict[str, list[str]] = {}
    current = None
    for line in lines:
        found = STAGE.match(line)
        if found:
            current = found.group(1)
            stages[current] = []
        if current is not None:
            stages[current] += PATH.findall(line)
    assert len(stages) >= 8, stages
    unnamed = [stage for stage, paths in stages.items() if not paths]
    assert unnamed == [], f"stages without a module: {unnamed}"
    missing = [p for paths in stages.values() for p in paths if not (ROOT / p).exists()]
    assert missing == [], f"named in the README but missing: {missing}"
