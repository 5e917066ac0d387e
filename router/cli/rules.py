"""The rules commands of ``visionalert-router``: ``explain``, ``test`` and ``schema``."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from router.cli.explain_text import explain_text
from router.errors import ExplainError, PayloadError, RouteTestError, RulesError, SettingsError
from router.pipeline.explain import build_events, explain, parse_at
from router.pipeline.rule_tests import (
    format_report,
    load_tests,
    rules_path,
    run_tests,
    update_snapshots,
)
from router.rules.loader import load_rules
from router.rules.models import Rules
from router.rules.schema import schema_text

_rules_option = click.option("--rules", "rules_file", type=click.Path(path_type=Path),
                             default=None, help="Rules file [ROUTER_RULES_FILE, rules.yaml].")


def _default_rules() -> Path:
    from router.settings import Settings

    try:
        return Settings.from_env(None).rules_file
    except SettingsError as exc:
        raise click.ClickException(f"invalid settings: {exc}") from None


def _load(path: Path) -> Rules:
    try:
        return load_rules(path)
    except RulesError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{path}: {len(exc.problems)} problem(s)", err=True)
        sys.exit(1)


def _json_file(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot read {what}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{path}:{exc.lineno}:{exc.colno}: {what} is not JSON: "
                                   f"{exc.msg}") from None


@click.command()
@click.argument("payload", type=click.Path(path_type=Path))
@click.option("--enrichment", type=click.Path(path_type=Path), default=None,
              help="JSON: camera serial -> fields (anomalies with scores, snapshot_url, ...).")
@click.option("--at", "at", default=None,
              help="Route as of this time (ISO 8601, or epoch seconds) [now].")
@click.option("--format", "output", type=click.Choice(["json", "text"]), default="json",
              show_default=True,
              help="json: the API's answer; text: per target, its family and its message.")
@_rules_option
def explain_command(payload: Path, enrichment: Path | None, at: str | None, output: str,
                    rules_file: Path | None) -> None:
    """Show what the rules would do with a webhook PAYLOAD.json; sends nothing."""
    rules = _load(rules_file or _default_rules())
    try:
        when = parse_at(at) if at else datetime.now(UTC)
        events = build_events(_json_file(payload, "payload"),
                              _json_file(enrichment, "enrichment") if enrichment else None)
    except (PayloadError, ExplainError) as exc:
        raise click.ClickException(str(exc)) from None
    explained = explain(rules, events, when)
    if output == "text":
        click.echo("\n".join(explain_text(explained)))
    else:
        click.echo(json.dumps(explained, indent=2))


@click.command()
@click.argument("tests_file", type=click.Path(path_type=Path), default=Path("rules.tests.yaml"))
@_rules_option
@click.option("--update", is_flag=True, help="Rewrite the snapshots of the cases that have one.")
def test_command(tests_file: Path, rules_file: Path | None, update: bool) -> None:
    """Run route tests (default rules.tests.yaml); exit 1 with a diff on failure."""
    try:
        doc = load_tests(tests_file)
        rules = _load(rules_path(tests_file, doc, rules_file))
        report = run_tests(tests_file, rules, doc)
    except RouteTestError as exc:
        raise click.ClickException(str(exc)) from None
    if update:
        changed = update_snapshots(tests_file, doc, report)
        click.echo(f"{tests_file}: {changed} snapshot(s) updated")
        doc = load_tests(tests_file)
        report = run_tests(tests_file, rules, doc)
    for line in format_report(report):
        click.echo(line, err=line.startswith(("FAIL", "ERROR")))
    if report.failed:
        sys.exit(1)


@click.command()
def schema_command() -> None:
    """Print the JSON Schema of rules.yaml (committed as rules.schema.json)."""
    click.echo(schema_text(), nl=False)
