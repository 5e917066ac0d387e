"""The ``visionalert-router`` command."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from router import __version__
from router.errors import RulesError, SettingsError
from router.obs import logs
from router.obs.redact import ordered, scrub
from router.settings import PREFIX, Settings

log = logging.getLogger("router")


def _settings_epilog() -> str:
    lines = ["\b", "Settings (environment variables; secrets also as NAME_FILE):"]
    for name, field in Settings.model_fields.items():
        default = field.default if field.default is not None else "unset"
        lines.append(f"  {PREFIX}{name.upper():<28} {field.description} [default: {default}]")
    return "\n".join(lines)


def _load_settings(**overrides: object) -> Settings:
    try:
        return Settings.from_env(None, **overrides)
    except SettingsError as exc:
        raise click.ClickException(f"invalid settings: {exc}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="visionalert-router")
def main() -> None:
    """Route Plate Recognizer VisionAlert webhooks to people, through Apprise."""


_host = click.option("--host", default=None, help="Bind address [env ROUTER_HOST, 127.0.0.1].")
_port = click.option("--port", type=int, default=None,
                     help="Listen port [env ROUTER_PORT, 8080].")
_rules = click.option("--rules", "rules_file", type=click.Path(path_type=Path), default=None,
                      help="Rules file; overrides ROUTER_RULES_FILE [rules.yaml].")


@main.command(epilog=_settings_epilog())
@_host
@_port
@_rules
@click.option("--role", type=click.Choice(["all", "web", "worker"]), default="all",
              show_default=True, help="Run the web server, the worker, or both.")
@click.option("--no-migrate", is_flag=True, hidden=True,
              help="Skip migrations (the supervisor already ran them).")
@click.option("--poll", is_flag=True,
              help="Also poll the VisionAlert API for alerts, for sites without a public URL "
                   "[env ROUTER_POLL_INTERVAL, 60 s with --poll].")
def serve(host: str | None, port: int | None, rules_file: Path | None, role: str,
          no_migrate: bool, poll: bool) -> None:
    """Run the router: web server (gunicorn) and worker."""
    from router import serve as proc

    settings = _load_settings(host=host, port=port, rules_file=rules_file)
    if poll:
        settings = _with_polling(settings)
    logs.configure_for(settings)
    if not no_migrate:
        _migrate(settings)
    if role == "all":
        if settings.webhook_token is None:
            log.warning("ROUTER_WEBHOOK_TOKEN is not set: the webhook endpoint accepts "
                        "requests from anyone who can reach it")
        overrides = {f"{PREFIX}{k.upper()}": str(v) for k, v in
                     {"host": host, "port": port, "rules_file": rules_file,
                      "poll_interval": settings.poll_interval if poll else None}.items()
                     if v is not None}
        sys.exit(proc.supervise(settings, overrides))
    elif role == "web":
        proc.run_web(settings)
    else:
        proc.run_worker(settings)


@main.command(epilog=_settings_epilog())
@_rules
def worker(rules_file: Path | None) -> None:
    """Run only the worker (claims alerts, routes, delivers)."""
    from router import serve as proc

    settings = _load_settings(rules_file=rules_file)
    logs.configure_for(settings)
    _migrate(settings)
    proc.run_worker(settings)


@main.command()
@click.argument("file", type=click.Path(path_type=Path), required=False)
def check(file: Path | None) -> None:
    """Validate a rules file (default ROUTER_RULES_FILE) and its templates."""
    from router.rules.check import check_rules, check_warnings

    settings = _load_settings()
    path = file or settings.rules_file
    try:
        summary = check_rules(path)
    except RulesError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{path}: {len(exc.problems)} problem(s)", err=True)
        sys.exit(1)
    for warning in check_warnings(path, state_interval=settings.state_interval):
        click.echo(str(warning), err=True)
    click.echo(f"{path}: OK ({summary})")


def _register_rules_commands() -> None:
    from router.cli.rules import explain_command, schema_command, test_command

    main.add_command(explain_command, "explain")
    main.add_command(test_command, "test")
    main.add_command(schema_command, "schema")


_register_rules_commands()


def _register_simulator() -> None:
    from router.simulator.cli import simulator_command

    main.add_command(simulator_command, "simulator")
    from router.cli.demo import demo_command

    main.add_command(demo_command, "demo")


_register_simulator()


def _register_store_commands() -> None:
    from router.cli.deliveries import deliveries, replay
    from router.cli.incidents import incidents
    from router.cli.silences import silence

    for command in (silence, deliveries, replay, incidents):
        main.add_command(command)


_register_store_commands()


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    settings = _load_settings()
    logs.configure_for(settings)
    _migrate(settings)
    click.echo("database is up to date")


@main.command("send-sample")
@click.option("--url", default=None,
              help="Webhook URL [http://ROUTER_HOST:ROUTER_PORT/webhooks/visionalert].")
@click.option("--token", default=None, help="Webhook token [env ROUTER_WEBHOOK_TOKEN].")
@click.option("--format", "fmt", type=click.Choice(["json", "multipart", "form"]),
              default="json", show_default=True, help="Content type to send.")
def send_sample(url: str | None, token: str | None, fmt: str) -> None:
    """POST the documented sample webhook to a running router."""
    import httpx

    from router.receive.sample import SAMPLE_WEBHOOK

    settings = _load_settings()
    url = url or f"http://{settings.host}:{settings.port}/webhooks/visionalert"
    secret = token or (settings.webhook_token.get_secret_value()
                       if settings.webhook_token else None)
    headers = {"Authorization": f"Token {secret}"} if secret else {}
    body = json.dumps(SAMPLE_WEBHOOK)
    kwargs: dict[str, Any] = {"content": body, "headers": {**headers,
                              "Content-Type": "application/json"}}
    if fmt == "multipart":
        kwargs = {"files": {"json": (None, body)}, "headers": headers}
    elif fmt == "form":
        kwargs = {"data": {"json": body}, "headers": headers}
    try:
        response = httpx.post(url, timeout=10, **kwargs)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach {url}: {exc}") from None
    click.echo(f"{response.status_code} {response.text.strip()}")
    if response.status_code != 200:
        sys.exit(1)


def _with_polling(settings: Settings) -> Settings:
    """``serve --poll``: polling on, every ROUTER_POLL_INTERVAL seconds (60 by default)."""
    from router.upstream.poller import DEFAULT_INTERVAL

    if settings.visionalert_token is None:
        raise click.ClickException("--poll lists alerts through the VisionAlert API: set "
                                   "ROUTER_VISIONALERT_TOKEN (or ROUTER_VISIONALERT_TOKEN_FILE)")
    return settings.replace(poll_interval=settings.poll_interval or DEFAULT_INTERVAL)


def _migrate(settings: Settings) -> None:
    from router.store.db import Database
    from router.store.migrate import upgrade

    db_ = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    try:
        upgrade(db_)
    except Exception as exc:
        raise click.ClickException(
            scrub(f"cannot migrate {settings.database_url}: {exc.__class__.__name__}: {exc}",
                  ordered(logs.secrets_of(settings)))) from None
    finally:
        db_.dispose()


