"""Every README example marked ``# rules.yaml`` loads and passes ``check``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from router.rules import load_rules
from router.rules.check import check_rules

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```yaml\n(# rules\.yaml\n.*?)^```$", re.MULTILINE | re.DOTALL)
# ${NAME} without a default: the examples keep their secrets in the environment.
PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def _examples() -> list[pytest.ParameterSet]:
    """Each example, named by its line in README.md."""
    readme = (ROOT / "README.md").read_text()
    return [pytest.param(m.group(1), id=f"README.md:{readme.count(chr(10), 0, m.start()) + 2}")
            for m in FENCE.finditer(readme)]


def test_the_readme_has_rules_examples() -> None:
    assert len(_examples()) >= 4


@pytest.mark.parametrize("text", _examples())
def test_readme_rules_example_loads(text: str, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    environ = dict.fromkeys(PLACEHOLDER.findall(text), "log://")
    load_rules(path, environ)  # raises RulesError, naming file:line:column
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    check_rules(path)  # what `visionalert-router check` runs: templates and `when` too
