"""Logging: one event per line, JSON in containers, ``key=value`` on a console.

Built on structlog: stdlib ``logging`` records are rendered by a
``structlog.stdlib.ProcessorFormatter``, so ``logging.getLogger(...).info(msg,
extra={...})`` works everywhere unchanged.

Values travel as ``extra={...}`` fields, never interpolated into the message, so
they stay machine-readable. Fields that describe the unit of work in progress
(request id, alert id, camera serial, delivery id) are bound once in a context
variable and added to every line logged while it runs, in any module.

No secret is ever passed in: targets are logged in Apprise's privacy form only.
As a second line of defence, the configured secrets (tokens, the database
password) are masked in every formatted line by the last processor.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import structlog
from structlog.contextvars import (
    bind_contextvars,
    bound_contextvars,
    clear_contextvars,
    get_contextvars,
    merge_contextvars,
    unbind_contextvars,
)
from structlog.typing import EventDict, Processor, WrappedLogger

from router.obs import jsontext
from router.obs.redact import ordered, scrub

if TYPE_CHECKING:
    from router.settings import Settings

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
# Shorter values would mask ordinary words; no real secret is this short.
_MIN_SECRET = 6
_exc_formatter = logging.Formatter()
_META = ("_record", "_from_structlog")  # ProcessorFormatter's own keys, never written
_FIXED = ("ts", "level", "logger", "msg", "pid", "exc")  # the console line's own parts


def bind(**fields: Any) -> None:
    """Add fields to every line logged from here on in this context (None removes one)."""
    unbind_contextvars(*[k for k, v in fields.items() if v is None])
    bind_contextvars(**{k: v for k, v in fields.items() if v is not None})


def new_context(**fields: Any) -> None:
    """A new unit of work starts in this thread: replace every bound field."""
    clear_contextvars()
    bind_contextvars(**{k: v for k, v in fields.items() if v is not None})


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Bind fields for the duration of a block, then restore the previous ones."""
    with bound_contextvars(**fields):
        yield


def current() -> Mapping[str, Any]:
    return get_contextvars()


def _from_record(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """The line's fixed fields from the stdlib record (``event`` is its message)."""
    record: logging.LogRecord = event["_record"]
    out: EventDict = {
        "ts": f"{_utc_second(int(record.created))}.{int(record.created % 1 * 1000):03d}+00:00",
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": event["event"],
        "pid": record.process,
        "_record": record,
        "_from_structlog": event.get("_from_structlog", False),
    }
    exc_info = event.get("exc_info")
    if exc_info:
        out["_exc"] = _exc_formatter.formatException(exc_info)
    return out


def _add_extra(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """``extra={...}`` fields of the record; they win over bound ones of the same name."""
    record: logging.LogRecord = event["_record"]
    event.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
    exc = event.pop("_exc", None)
    if exc is not None:
        event["exc"] = exc
    return event


def _render_json(_logger: WrappedLogger, _method: str, event: EventDict) -> str:
    return jsontext.dumps({k: v for k, v in event.items() if k not in _META}, default=str)


def _render_console(_logger: WrappedLogger, _method: str, event: EventDict) -> str:
    record: logging.LogRecord = event["_record"]
    fields = {k: v for k, v in event.items()
              if k not in _FIXED and k not in _META}
    extras = " ".join([f"{k}={_console_value(v)}" for k, v in fields.items()])
    line = (f"{_local_second(int(record.created))} {record.levelname:<7} "
            f"{record.name}: {event['msg']}")
    if extras:
        line += f"  {extras}"
    if "exc" in event:
        line += "\n" + str(event["exc"])
    return line


class Redact:
    """The last processor: render the line, then mask every configured secret in it
    (keys, values, tracebacks alike)."""

    def __init__(self, render: Processor, secrets: Iterable[str] = ()) -> None:
        self.render = render
        self.secrets = ordered(s for s in secrets if len(s) >= _MIN_SECRET)

    def __call__(self, logger: WrappedLogger, method: str, event: EventDict) -> str:
        return scrub(str(self.render(logger, method, event)), self.secrets)


def formatter(fmt: str = "console", secrets: Iterable[str] = ()) -> logging.Formatter:
    """The stdlib formatter of every handler: structlog processors over each record."""
    render = _render_json if fmt == "json" else _render_console
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[_from_record, merge_contextvars, _add_extra],
        processors=[Redact(render, secrets)],
    )


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
    handler.setFormatter(formatter(fmt, secrets))
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
