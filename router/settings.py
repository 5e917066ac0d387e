"""Typed deployment settings from ``ROUTER_*`` environment variables.

Secrets may also come from a file named by ``ROUTER_<NAME>_FILE`` (a mounted
Kubernetes Secret); the file wins over nothing, the variable wins over the file
only when both are set, which is reported as an error instead of guessed.
Nothing here is read at import time: call :meth:`Settings.from_env`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from router.errors import SettingsError

PREFIX = "ROUTER_"
SECRET_FIELDS = ("webhook_token", "admin_token", "visionalert_token")


class Settings(BaseModel):
    """Every deployment setting; the field name upper-cased is the variable name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field("127.0.0.1", description="Address the web server binds to.")
    port: int = Field(8080, ge=1, le=65535, description="Port the web server listens on.")
    rules_file: Path = Field(Path("rules.yaml"), description="Routing rules file.")
    database_url: str = Field(
        "sqlite:///var/router.db",
        description="SQLAlchemy URL: sqlite:///PATH or postgresql+psycopg://...",
    )
    webhook_token: SecretStr | None = Field(
        None, description="Shared secret VisionAlert must send; unset = open endpoint."
    )
    admin_token: SecretStr | None = Field(None, description="Bearer token of the admin API.")
    visionalert_url: str = Field(
        "https://app.platerecognizer.com/v1/vision-alert/",
        description="Base URL of the VisionAlert REST API.",
    )
    visionalert_token: SecretStr | None = Field(None, description="VisionAlert API token.")
    external_url: str | None = Field(None, description="Public URL of this router, for links.")
    log_format: Literal["json", "console"] = Field("console", description="json or console.")
    log_level: str = Field("INFO", description="Python log level name.")
    max_body_bytes: int = Field(1024 * 1024, ge=1024, description="Largest webhook body.")
    dedup_window: float = Field(
        600.0, ge=0, description="Seconds during which an identical body is a duplicate."
    )
    web_workers: int = Field(2, ge=1, le=64, description="Gunicorn worker processes.")
    web_timeout: int = Field(30, ge=1, description="Gunicorn worker timeout, seconds.")
    lease_seconds: float = Field(
        60.0, gt=0, description="Visibility timeout of a claimed inbox entry or delivery."
    )
    poll_seconds: float = Field(0.2, gt=0, description="Worker idle poll interval.")
    delivery_concurrency: int = Field(8, ge=1, le=256, description="Parallel sends per worker.")
    delivery_max_attempts: int = Field(10, ge=1, description="Attempts before a dead letter.")
    retry_base_seconds: float = Field(5.0, gt=0, description="First retry delay.")
    retry_max_seconds: float = Field(900.0, gt=0, description="Longest retry delay.")
    target_connect_timeout: float = Field(4.0, gt=0, description="Target connect timeout, s.")
    target_read_timeout: float = Field(10.0, gt=0, description="Target read timeout, s.")
    sqlite_synchronous: Literal["NORMAL", "FULL"] = Field(
        "NORMAL",
        description="SQLite WAL durability: NORMAL survives a killed process, FULL power loss.",
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from ``ROUTER_*`` variables; ``overrides`` win (CLI flags)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name in cls.model_fields:
            var = PREFIX + name.upper()
            if var in env and env[var] != "":
                values[name] = env[var]
            if name in SECRET_FIELDS and env.get(var + "_FILE"):
                if name in values:
                    raise SettingsError(f"set either {var} or {var}_FILE, not both")
                values[name] = _read_secret(var + "_FILE", env[var + "_FILE"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise SettingsError(_explain(exc)) from None

    def replace(self, **changes: object) -> Settings:
        return self.model_validate({**self.model_dump(), **changes})

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _read_secret(var: str, path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SettingsError(f"{var}: cannot read {path}: {exc.strerror}") from None


def _explain(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        name = PREFIX + ".".join(str(p) for p in err["loc"]).upper()
        # The input is deliberately left out: it may be a secret.
        lines.append(f"{name}: {err['msg']}")
    return "; ".join(lines)
