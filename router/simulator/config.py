"""Start-up settings of the simulator (the CLI and ``SimulatorServer`` fill them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from .faults import FaultConfig

WebhookFormat = Literal["json", "multipart", "form"]
WEBHOOK_FORMATS: tuple[WebhookFormat, ...] = ("json", "multipart", "form")


@dataclass
class SimulatorConfig:
    # A scenario file (YAML/JSON), an already-parsed mapping, or None for the built-in one.
    scenario: str | Path | dict[str, Any] | None = None
    token: str | None = None  # replaces the first user's token (the CLI's --token)
    rate_limit: float = 1.0  # requests/second per token; 0 disables throttling
    timezone: str | None = None  # server timezone for naive timestamps; scenario's, else UTC
    log_interval: timedelta = timedelta(minutes=15)  # create-log: one log per camera per window
    webhook_target: str | None = None
    webhook_format: WebhookFormat = "json"
    webhook_token: str | None = None  # sent as "Authorization: Token ..."
    webhook_timeout: float = 10.0
    public_url: str | None = None  # host for absolute URLs outside a request (webhooks)
    faults: FaultConfig = field(default_factory=FaultConfig)
    seed: int = 0  # media names and random faults are reproducible per seed
