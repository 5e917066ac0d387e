"""Logging: one event per line, JSON in containers, ``key=value`` on a console.

Values travel as ``extra={...}`` fields, never interpolated into the message, so
they stay machine-readable. Fields that describe the unit of work in progress
(request id, alert id, camera serial, delivery id) are bound once in a context
variable and added to every line logged while it runs, in any module.

No secret is ever passed in: targets are logged in Apprise's privacy form only.
As a second line of defence, the configured secrets (tokens, the database
password) are masked in every formatted line.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from router.obs import jsontext

if TYPE_CHECKING:
    from router.settings import Settings

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_EMPTY: Mapping[str, Any] = MappingProxyType({})
_bound: ContextVar[Mapping[str, Any]] = ContextVar("router_log_fields", default=_EMPTY)
MASK = "****"
# Shorter values would mask ordinary words; no real secret is this short.
_MIN_SECRET = 6


def bind(**fields: Any) -> None:
    """Add fields to every line logged from here on in this context (None removes one)."""
    merged = {**_bound.get(), **fields}
    _bound.set(MappingProxyType({k: v for k, v in merged.items() if v is not None}))


def new_context(**fields: Any) -> None:
    """A new unit of work starts in this thread: replace every bound field."""
    _bound.set(MappingProxyType({k: v for k, v in fields.items() if v is not None}))


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Bind fields for the duration of a block, then restore the previous ones."""
    token = _bound.set(MappingProxyType({**_bound.get(), **fields}))
    try:
        yield
    finally:
        _bound.reset(token)


def current() -> Mapping[str, Any]:
    return _bound.get()


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD}


class _Redacting(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= _MIN_SECRET}, key=len,
                              reverse=True)

    def _redact(self, line: str) -> str:
        for secret in self.secrets:
            if secret in line:
                line = line.replace(secret, MASK)
        return line


class JsonFormatter(_Redacting):
    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "ts": f"{_utc_second(int(record.created))}.{int(record.created % 1 * 1000):03d}+00:00",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "pid": record.process,
        }
        event.update(_bound.get())
        event.update(_fields(record))
        if record.exc_info:
            event["exc"] = self.formatException(record.exc_info)
        return self._redact(jsontext.dumps(event, default=str))


class ConsoleFormatter(_Redacting):
    def format(self, record: logging.LogRecord) -> str:
        ts = _local_second(int(record.created))
        fields = {**_bound.get(), **_fields(record)}
        extras = " ".join([f"{k}={_console_value(v)}" for k, v in fields.items()])
        line = f"{ts} {record.levelname:<7} {record.name}: {record.getMessage()}"
        if extras:
            line += f"  {extras}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return self._redact(line)


# A line per request passes through the formatters: the time is formatted once per
# second (strftime cost more than the rest of the line) and plain values skip the
# JSON encoder.
@lru_cache(maxsize=4)
def _utc_second(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")


@lru_cache(maxsize=4)
def _local_second(second: int) -> str:
    return datetime.fromtimestamp(second).strftime("%H:%M:%S")


def _console_value(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return value if value and " " not in value and "\n" not in value else json.dumps(value)
    if kind is int or kind is float:
        return str(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return json.dumps(text) if (" " in text or "\n" in text or not text) else text


def configure(fmt: str = "console", level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(secrets) if fmt == "json" else ConsoleFormatter(secrets))
    # Record fields no formatter here prints; computing them cost a fifth of a line
    # (the logging HOWTO's "Optimization" section).
    logging._srcfile = None  # caller file and line
    logging.logThreads = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Apprise's DEBUG output prints raw target URLs with their secrets.
    logging.getLogger("apprise").setLevel(max(logging.WARNING, root.level))
    for noisy in ("httpx", "httpcore", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def configure_for(settings: Settings) -> None:
    """Configure from settings, masking every secret they hold."""
    configure(settings.log_format, settings.log_level, secrets_of(settings))


def secrets_of(settings: Settings) -> list[str]:
    from pydantic import SecretStr
    from sqlalchemy import make_url

    found = [v.get_secret_value() for v in settings.__dict__.values()
             if isinstance(v, SecretStr)]
    password = make_url(settings.database_url).password
    if password:
        found.append(str(password))
    # Target credentials reach the rules through ${ENV}: mask variables that are
    # secret by their name too.
    found += [v for k, v in os.environ.items()
              if k.endswith(("_TOKEN", "_PASSWORD", "_SECRET", "_KEY")) and v]
    return found
