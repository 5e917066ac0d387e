"""Route tests: ``visionalert-router test rules.tests.yaml``.

A tests file lists cases; each gives a webhook ``payload`` (or ``payload_file``),
optional ``enrichment`` and ``at`` (see explain.py), and what it expects:
``expect.receivers`` (every receiver reached, for the whole payload) and/or
``expect.cameras`` (serial -> receivers). Receivers compare as sorted lists, one
entry per (route, receiver) match. A case with a ``snapshot`` key also compares
the rendered title and body per camera and ``route/receiver``; ``--update``
rewrites those snapshots in place (comments elsewhere are kept).
"""

from __future__ import annotations

import difflib
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

from router.errors import ExplainError, PayloadError, RouteTestError
from router.pipeline.explain import build_events, explain, parse_at
from router.rules.models import Rules

_CASE_KEYS = {"name", "payload", "payload_file", "enrichment", "at", "expect", "snapshot"}
_EXPECT_KEYS = {"receivers", "cameras"}


@dataclass
class CaseResult:
    name: str
    diff: str = ""
    error: str | None = None
    snapshot: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.diff and self.error is None


@dataclass
class Report:
    results: list[CaseResult] = field(default_factory=list)

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if not r.ok]


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.width = 100
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)  # the style of the shipped file
    return yaml


def _literal(value: Any) -> Any:
    """Multi-line strings as ``|`` blocks, so snapshots and diffs read like the message."""
    if isinstance(value, dict):
        return {k: _literal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_literal(v) for v in value]
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value)
    return value


def load_tests(path: Path) -> Any:
    try:
        return _yaml().load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RouteTestError(f"{path}: cannot read: {exc.strerror}") from None
    except Exception as exc:  # ruamel's errors carry the position in their text
        raise RouteTestError(f"{path}: not valid YAML: {exc}") from None


def rules_path(path: Path, doc: Any, override: Path | None) -> Path:
    """``--rules`` wins; else the file's ``rules:`` key (relative to it); else rules.yaml."""
    if override is not None:
        return override
    named = doc.get("rules") if isinstance(doc, Mapping) else None
    return path.parent / (named if isinstance(named, str) else "rules.yaml")


def run_tests(path: Path, rules: Rules, doc: Any) -> Report:
    cases = doc.get("cases") if isinstance(doc, Mapping) else None
    if not isinstance(cases, list) or not cases:
        raise RouteTestError(f"{path}: expected a mapping with a non-empty 'cases' list")
    report = Report()
    for i, case in enumerate(cases):
        report.results.append(_run_case(path, rules, case, i))
    return report


def _run_case(path: Path, rules: Rules, case: Any, i: int) -> CaseResult:
    name = case.get("name", f"cases[{i}]") if isinstance(case, Mapping) else f"cases[{i}]"
    result = CaseResult(str(name))
    try:
        _validate_case(case, i)
        payload = case.get("payload")
        if "payload_file" in case:
            payload = json.loads((path.parent / case["payload_file"]).read_text("utf-8"))
        events = build_events(_plain(payload), _plain(case.get("enrichment")))
        now = parse_at(case["at"]) if "at" in case else datetime.now(UTC)
        explained = explain(rules, events, now)
    except (RouteTestError, PayloadError, ExplainError, OSError, ValueError) as exc:
        result.error = f"{type(exc).__name__}: {exc}" if isinstance(exc, OSError) else str(exc)
        return result
    expected, actual = _compare(case, explained)
    result.snapshot = _snapshot(explained)
    if expected != actual:
        result.diff = _diff(expected, actual)
    return result


def _validate_case(case: Any, i: int) -> None:
    if not isinstance(case, Mapping):
        raise RouteTestError(f"cases[{i}]: expected a mapping")
    unknown = set(case) - _CASE_KEYS
    if unknown:
        raise RouteTestError(f"cases[{i}]: unknown key(s) {', '.join(sorted(unknown))} "
                             f"(allowed: {', '.join(sorted(_CASE_KEYS))})")
    if ("payload" in case) == ("payload_file" in case):
        raise RouteTestError(f"cases[{i}]: give exactly one of payload, payload_file")
    expect = case.get("expect")
    if not isinstance(expect, Mapping) or not expect or set(expect) - _EXPECT_KEYS:
        raise RouteTestError(f"cases[{i}].expect: a mapping with receivers and/or cameras")


def _compare(case: Mapping[str, Any], explained: dict[str, Any]) -> tuple[Any, Any]:
    expect = case["expect"]
    per_camera = {c["serial"]: sorted(r["receiver"] for r in c["receivers"])
                  for c in explained["cameras"]}
    expected: dict[str, Any] = {}
    actual: dict[str, Any] = {}
    if "receivers" in expect:
        expected["receivers"] = sorted(_plain(expect["receivers"]) or [])
        actual["receivers"] = sorted(r for rs in per_camera.values() for r in rs)
    if "cameras" in expect:
        cams = _plain(expect["cameras"]) or {}
        expected["cameras"] = {k: sorted(v or []) for k, v in cams.items()}
        actual["cameras"] = per_camera
    if "snapshot" in case:
        expected["snapshot"] = _plain(case["snapshot"])
        actual["snapshot"] = _snapshot(explained)
    return expected, actual


def _snapshot(explained: dict[str, Any]) -> dict[str, Any]:
    return {
        c["serial"]: {
            f"{r['route']}/{r['receiver']}": {"title": r.get("title"), "body": r.get("body")}
            | ({"render_error": r["render_error"]} if "render_error" in r else {})
            for r in c["receivers"]
        }
        for c in explained["cameras"]
    }


def _diff(expected: Any, actual: Any) -> str:
    def dump(value: Any) -> list[str]:
        out = io.StringIO()
        yaml = YAML(typ="rt")
        yaml.default_flow_style = False
        yaml.dump(_literal(value), out)
        return out.getvalue().splitlines(keepends=True)

    return "".join(difflib.unified_diff(dump(expected), dump(actual), "expected", "actual"))


def _plain(value: Any) -> Any:
    """ruamel's commented containers -> plain dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def update_snapshots(path: Path, doc: Any, report: Report) -> int:
    """Write the actual snapshots of the cases that have one; returns how many changed."""
    changed = 0
    for case, result in zip(doc["cases"], report.results, strict=True):
        if isinstance(case, dict) and "snapshot" in case and result.snapshot is not None \
                and _plain(case["snapshot"]) != result.snapshot:
            case["snapshot"] = _literal(result.snapshot)
            changed += 1
    if changed:
        with path.open("w", encoding="utf-8") as out:
            _yaml().dump(doc, out)
    return changed


def format_report(report: Report) -> Iterator[str]:
    for result in report.results:
        if result.ok:
            yield f"PASS {result.name}"
        elif result.error is not None:
            yield f"ERROR {result.name}: {result.error}"
        else:
            yield f"FAIL {result.name}\n{result.diff.rstrip()}"
    failed = len(report.failed)
    yield f"{len(report.results) - failed} passed, {failed} failed"
