"""`check` renders every template and evaluates every `when`; sandbox escapes are security
errors; `schema` output equals the committed rules.schema.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from router.cli.rules import schema_command
from router.errors import RulesError
from router.rules.check import check_rules
from router.rules.schema import rules_schema, schema_text
from tests.support.rules import write

ROOT = Path(__file__).resolve().parents[2]


def check_problems(path: Path) -> list[str]:
    with pytest.raises(RulesError) as caught:
        check_rules(path)
    return [str(p) for p in caught.value.problems]


def test_check_accepts_the_shipped_rules() -> None:
    assert check_rules(ROOT / "rules.yaml") == "3 receivers, 4 routes"


ESCAPES = [
    # (id, where it goes, text): each must fail with a security error and never run
    ("__class__ in a title", "title", "{{ event.__class__ }}"),
    ("__globals__ via cycler", "body", "{{ cycler.__init__.__globals__ }}"),
    ("os", "body", "{{ os.system('touch /tmp/pwned') }}"),
    ("config", "title", "{{ config }}"),
    ("__subclasses__ via attr filter", "body", "{{ ''|attr('__class__') }}"),
    ("__class__ in when", "when", "event.__class__.__init__.__globals__"),
    ("os in when", "when", "os.environ"),
    ("config in when", "when", "config.SECRET_KEY"),
]


@pytest.mark.parametrize(("where", "text"), [c[1:] for c in ESCAPES], ids=[c[0] for c in ESCAPES])
def test_sandbox_escapes_fail_check_with_a_security_error(tmp_path: Path, where: str,
                                                         text: str) -> None:
    marker = tmp_path / "pwned"
    text = text.replace("/tmp/pwned", str(marker))
    if where == "when":
        rules = ('receivers: {noc: {urls: ["log://"]}}\nroutes:\n  - receivers: [noc]\n'
                 f"    match: {{when: {json.dumps(text)}}}\n")
        line = 4
    else:
        rules = (f'receivers:\n  noc:\n    urls: ["log://"]\n    {where}: {json.dumps(text)}\n'
                 "routes:\n  - receivers: [noc]\n")
        line = 4
    path = write(tmp_path, rules)
    found = check_problems(path)
    assert len(found) == 1
    assert found[0].startswith(f"{path}:{line}:")
    assert ": security: " in found[0]
    assert not marker.exists()


def test_escape_built_at_run_time_is_stopped_by_the_sandbox(tmp_path: Path) -> None:
    # Not visible in the syntax tree: the immutable sandbox stops it when check renders.
    path = write(tmp_path, """\
        receivers:
          noc:
            urls: ["log://"]
            title: "{{ event|attr('_' ~ '_class' ~ '__') }}"
        routes:
          - receivers: [noc]
            match: {when: "tags|attr('_' ~ '_len' ~ '__')"}
        """)
    found = check_problems(path)
    assert found[0].startswith(f"{path}:4:") and "receivers.noc" in found[0]
    assert found[-1].startswith(f"{path}:7:") and "routes[0].match.when" in found[-1]
    assert all("security" in f for f in found)


def test_check_renders_templates_on_sample_data(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        templates:
          t: {title: "{{ event.nmae }}"}
        receivers:
          noc: {urls: ["log://"], template: t}
        routes:
          - receivers: [noc]
            match: {when: "anomalies.Obstruction > 0.5"}
        """)
    found = check_problems(path)
    assert found[0].startswith(f"{path}:2:6: templates.t: template error: ")
    assert "nmae" in found[0]
    # The offline sample has no Obstruction: the expression must allow for that.
    assert found[-1] == (
        f"{path}:7:19: routes[0].match.when: when: 'anomalies.Obstruction > 0.5' failed: "
        "UndefinedError: 'dict object' has no attribute 'Obstruction'")


def test_committed_schema_is_the_generated_one() -> None:
    assert (ROOT / "rules.schema.json").read_text() == schema_text()
    assert CliRunner().invoke(schema_command).output == schema_text()


def test_shipped_rules_name_the_schema_and_validate_against_it() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from ruamel.yaml import YAML

    text = (ROOT / "rules.yaml").read_text()
    assert text.splitlines()[0] == "# yaml-language-server: $schema=rules.schema.json"
    jsonschema.validate(YAML(typ="safe").load(text), rules_schema())
    bad = YAML(typ="safe").load(text)
    bad["routes"][0]["group_wiat"] = "5s"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, rules_schema())
