"""``visionalert-router simulator``: run the VisionAlert simulator as an HTTP server."""

from __future__ import annotations

import json
import threading

import click

from router.errors import ScenarioError

from .config import WEBHOOK_FORMATS, SimulatorConfig
from .faults import FaultConfig
from .server import SimulatorServer


@click.command("simulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8090, show_default=True, type=int, help="Port (0: any free).")
@click.option("--scenario", type=click.Path(exists=True, dir_okay=False),
              help="Scenario YAML/JSON file (default: the built-in one).")
@click.option("--token", default="demo-token", show_default=True,
              help="API token of the scenario's first (main) user.")
@click.option("--rate-limit", default=1.0, show_default=True, type=float,
              help="Requests per second per token; 0 turns throttling off.")
@click.option("--timezone", default=None, help="Server timezone for naive timestamps "
              "(default: the scenario's, else UTC).")
@click.option("--webhook-target", default=None, help="URL that receives webhooks.")
@click.option("--webhook-format", type=click.Choice(WEBHOOK_FORMATS), default="json",
              show_default=True, help="Webhook body encoding.")
@click.option("--webhook-token", default=None, help="Send 'Authorization: Token X' with webhooks.")
@click.option("--latency", default=0.0, type=float, help="Fault: seconds added to API answers.")
@click.option("--error-rate", default=0.0, type=float,
              help="Fault: share of API answers that are 5xx.")
@click.option("--faults", "faults_json", default=None,
              help='Fault settings as JSON, e.g. \'{"next_429": 3, "retry_after": 2}\'.')
@click.option("--seed", default=0, type=int, help="Seed for media names and random faults.")
def simulator_command(host: str, port: int, scenario: str | None, token: str, rate_limit: float,
                      timezone: str | None, webhook_target: str | None, webhook_format: str,
                      webhook_token: str | None, latency: float, error_rate: float,
                      faults_json: str | None, seed: int) -> None:
    """Serve a local VisionAlert API (and send its webhooks) for development and tests."""
    try:
        fault_data = json.loads(faults_json) if faults_json else {}
        if not isinstance(fault_data, dict):
            raise ValueError("--faults must be a JSON object")
        fault_data.setdefault("latency", latency)
        fault_data.setdefault("error_rate", error_rate)
        fault_data.setdefault("seed", seed)
        faults = FaultConfig.from_dict(fault_data)
    except (ValueError, TypeError) as exc:
        raise click.BadParameter(str(exc), param_hint="--faults/--latency/--error-rate") from exc
    config = SimulatorConfig(
        scenario=scenario, token=token, rate_limit=rate_limit, timezone=timezone,
        webhook_target=webhook_target, webhook_format=webhook_format,  # type: ignore[arg-type]
        webhook_token=webhook_token, faults=faults, seed=seed)
    try:
        server = SimulatorServer(config, host=host, port=port)
    except ScenarioError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    click.echo(f"VisionAlert simulator on {server.url}")
    click.echo(f"  ROUTER_VISIONALERT_URL={server.base_url}")
    click.echo(f"  ROUTER_VISIONALERT_TOKEN={token}")
    click.echo(f"  controls: {server.url}/_sim/stats  /_sim/faults  /_sim/alerts")
    if webhook_target:
        def fire() -> None:
            for result in server.send_startup_webhooks():
                click.echo(f"  webhook -> {result.target}: {result.status or result.error}")

        threading.Thread(target=fire, name="startup-webhooks", daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
