"""Typed deployment settings from ``ROUTER_*`` environment variables (pydantic-settings).

Secrets may also come from a file named by ``ROUTER_<NAME>_FILE`` (a mounted
Kubernetes Secret); setting both the variable and the file is reported as an
error instead of guessed. Nothing here is read at import time: call
:meth:`Settings.from_env`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from router.errors import SettingsError

PREFIX = "ROUTER_"
SECRET_FIELDS = ("webhook_token", "admin_token", "visionalert_token", "link_secret")
# The environment of the ``from_env`` call in progress (None: ``os.environ``).
_environ: ContextVar[Mapping[str, str] | None] = ContextVar("router_settings_env", default=None)


class Settings(BaseSettings):
    """Every deployment setting; ``ROUTER_`` + the field name upper-cased is the variable."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid", env_prefix=PREFIX,
                                      env_ignore_empty=True)

    host: str = Field("127.0.0.1", description="Address the web server binds to.")
    port: int = Field(8080, ge=1, le=65535, description="Port the web server listens on.")
    rules_file: Path = Field(Path("rules.yaml"), description="Routing rules file.")
    rules_watch_seconds: float = Field(
        5.0, ge=0, description="How often to check the rules file for changes; 0 = never."
    )
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
    visionalert_rps: float = Field(
        1.0, gt=0, description="VisionAlert API requests/second, shared by all workers/replicas."
    )
    visionalert_timeout: float = Field(10.0, gt=0, description="VisionAlert API timeout, s.")
    visionalert_attempts: int = Field(
        3, ge=1, le=10, description="Tries per VisionAlert API request (429, 5xx, timeouts)."
    )
    visionalert_breaker_failures: int = Field(
        5, ge=1, description="Consecutive VisionAlert API failures that open the breaker."
    )
    visionalert_breaker_seconds: float = Field(
        30.0, gt=0, description="Seconds the open breaker fails fast before a trial call."
    )
    enrich_deadline: float = Field(
        60.0, ge=0, description="Seconds after receipt to wait for upstream data, then route."
    )
    enrich_lookback: float = Field(
        900.0, gt=0, description="Seconds of upstream alerts listed to enrich a webhook."
    )
    enrich_retry_seconds: float = Field(
        2.0, gt=0, description="Delay before retrying an alert not listed upstream yet."
    )
    directory_ttl: float = Field(300.0, gt=0, description="Camera directory cache TTL, s.")
    reference_ttl: float = Field(3600.0, gt=0, description="Reference image cache TTL, s.")
    poll_interval: float = Field(
        0.0, ge=0, description="Seconds between upstream alert polls; 0 = polling off."
    )
    state_interval: float = Field(
        60.0, ge=0, description="Seconds between camera state tracker rounds (license logs); "
                                "0 = tracker off."
    )
    state_budget: float = Field(
        0.5, gt=0, le=1, description="Largest share of ROUTER_VISIONALERT_RPS the state "
                                     "tracker may use (enrichment always goes first)."
    )
    external_url: str | None = Field(None, description="Public URL of this router, for links.")
    link_secret: SecretStr | None = Field(
        None, description="HMAC key of signed action links; default: derived from the admin token."
    )
    link_ttl: float = Field(7 * 86400.0, gt=0, description="Seconds a signed action link is valid.")
    session_lifetime: float = Field(
        12 * 3600.0, gt=0, description="Seconds a dashboard login lasts."
    )
    trust_forwarded_proto: bool = Field(
        False, description="Trust X-Forwarded-Proto from a proxy (Secure cookies behind TLS)."
    )
    log_format: Literal["json", "console"] = Field("console", description="json or console.")
    log_level: str = Field("INFO", description="Python log level name.")
    max_body_bytes: int = Field(1024 * 1024, ge=1024, description="Largest webhook body.")
    dedup_window: float = Field(
        600.0, ge=0, description="Seconds during which an identical body is a duplicate."
    )
    web_workers: int = Field(2, ge=1, le=64, description="Gunicorn worker processes.")
    web_timeout: int = Field(30, ge=1, description="Gunicorn worker timeout, seconds.")
    web_keepalive: int = Field(5, ge=0, description="Gunicorn keep-alive, seconds.")
    shutdown_grace: float = Field(
        20.0, gt=0, description="Seconds to finish or hand back work after SIGTERM."
    )
    lease_seconds: float = Field(
        60.0, gt=0, description="Visibility timeout of a claimed inbox entry or delivery."
    )
    poll_seconds: float = Field(0.2, gt=0, description="Worker idle poll interval.")
    delivery_concurrency: int = Field(8, ge=1, le=256, description="Parallel sends per worker.")
    delivery_max_attempts: int = Field(10, ge=1, description="Attempts before a dead letter.")
    delivery_max_age: float = Field(
        86400.0, gt=0, description="Seconds a delivery is retried before it is a dead letter."
    )
    target_concurrency: int = Field(
        2, ge=1, le=64, description="Sends in flight to one target, across all workers."
    )
    retry_base_seconds: float = Field(5.0, gt=0, description="First retry delay.")
    retry_max_seconds: float = Field(900.0, gt=0, description="Longest retry delay.")
    target_connect_timeout: float = Field(4.0, gt=0, description="Target connect timeout, s.")
    target_read_timeout: float = Field(10.0, gt=0, description="Target read timeout, s.")
    image_hosts: str = Field(
        "", description="Extra hosts images may be fetched from (comma-separated); these "
        "may also be private or loopback addresses.")
    image_max_bytes: int = Field(5 * 1024 * 1024, ge=1024, description="Largest image fetched.")
    image_timeout: float = Field(3.0, gt=0, description="Total time for one image fetch, s.")
    sqlite_synchronous: Literal["NORMAL", "FULL"] = Field(
        "NORMAL",
        description="SQLite WAL durability: NORMAL survives a killed process, FULL power loss.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Overrides (CLI flags) win, then ROUTER_* variables, then *_FILE secrets.
        return init_settings, _Env(settings_cls), _SecretFiles(settings_cls)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from ``ROUTER_*`` variables; ``overrides`` win (CLI flags)."""
        env = os.environ if environ is None else environ
        _check_secret_files(env)
        token = _environ.set(env)
        try:
            given: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
            return cls(**given)
        except ValidationError as exc:
            raise SettingsError(_explain(exc)) from None
        finally:
            _environ.reset(token)

    def replace(self, **changes: object) -> Settings:
        return self.model_validate({**self.model_dump(), **changes})


def _env() -> Mapping[str, str]:
    env = _environ.get()
    return os.environ if env is None else env


class _Env(EnvSettingsSource):
    """``ROUTER_*`` variables of the given environment, matched by their exact (upper) name."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        names = {PREFIX + name.upper() for name in self.settings_cls.model_fields}
        return {k.lower(): v for k, v in _env().items() if k in names and v != ""}


class _SecretFiles(PydanticBaseSettingsSource):
    """``ROUTER_<SECRET>_FILE=/path``: the secret is the file's content, stripped."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        var = f"{PREFIX}{field_name.upper()}_FILE"
        path = _env().get(var) if field_name in SECRET_FIELDS else None
        return (_read_secret(var, path) if path else None), field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            value, key, _ = self.get_field_value(field, name)
            if value is not None:
                found[key] = value
        return found


def _check_secret_files(env: Mapping[str, str]) -> None:
    for name in SECRET_FIELDS:
        var = PREFIX + name.upper()
        if env.get(var + "_FILE") and env.get(var):
            raise SettingsError(f"set either {var} or {var}_FILE, not both")


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
