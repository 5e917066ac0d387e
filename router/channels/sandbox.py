"""The Jinja2 sandbox every template runs in, its filters, and RenderError.

Templates come from rules.yaml (operators), never from alerts, but a template
must still never reach Python internals: ``SandboxedEnvironment`` refuses
``__class__``, ``__globals__`` and friends with a ``SecurityError``, and the
context holds plain data only (dicts, lists, strings, numbers), no objects
with methods worth calling. ``StrictUndefined`` makes a misspelt variable fail
loudly instead of sending an empty line. Text templates (plain text, markdown,
mrkdwn) are not escaped; HTML templates (file names ending in ``.html.j2``,
and custom ``html`` templates) are autoescaped.

Filters: ``percent`` (0.87 -> ``87%``), ``kinds`` (an event's anomaly types or
its status in words), ``summary`` (``Obstruction 87%, Blur``), ``kind_counts``
(``Offline 2, Obstruction 1``), ``localtime`` (epoch seconds -> time in the
route's timezone, optional strftime format), ``reltime`` (epoch seconds ->
``5 min ago``), ``clip(n)`` (shorten to n characters with ``...``) and ``md``
(escape markdown control characters).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import (
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateSyntaxError,
    UndefinedError,
    pass_context,
)
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from router.errors import RenderError

TEMPLATES = Path(__file__).with_name("templates")
CONTEXT_NAMES = ("alert, event, events, group, count, license, kind, resolved, acknowledged, "
                 "receiver, route, tally, "
                 "reason, links, external_url, at, now, time, timezone, family")


def percent(score: float | None) -> str:
    """VisionAlert scores are fractions (0.87); values above 1 are taken as percent already."""
    if score is None:
        return ""
    value = score * 100 if 0 <= score <= 1 else score
    return f"{round(value)}%"


def kinds(event: Mapping[str, Any]) -> list[str]:
    """What is wrong with a camera: its anomaly types, else its status in words."""
    anomalies = event.get("anomalies") or {}
    if anomalies:
        return [str(name) for name in anomalies]
    return [str(event.get("status", "")).replace("_", " ")]


def summary(event: Mapping[str, Any]) -> str:
    """Kinds with their scores when known: ``Obstruction 87%, Blur``."""
    anomalies: Mapping[str, float | None] = event.get("anomalies") or {}
    if not anomalies:
        return kinds(event)[0]
    return ", ".join(f"{name} {percent(score)}".rstrip() for name, score in anomalies.items())


def counted(values: Sequence[str]) -> list[tuple[str, int]]:
    """``[(value, n)]``, most frequent first, ties alphabetical."""
    return sorted(Counter(values).items(), key=lambda item: (-item[1], item[0]))


def kind_counts(events: Sequence[Mapping[str, Any]]) -> str:
    """``Offline 2, Obstruction 1``: most frequent first, ties alphabetical."""
    found = [k[:1].upper() + k[1:] for e in events for k in kinds(e)]
    return ", ".join(f"{kind} {n}" for kind, n in counted(found))


def clip(value: Any, width: int | None) -> str:
    """``value`` shortened to ``width`` characters, ending in ``...``; None keeps it whole."""
    text = str(value)
    if width is None or len(text) <= width:
        return text
    return text[: max(width - 3, 1)].rstrip() + "..."


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def md(text: Any) -> str:
    """Escape markdown control characters so a camera called ``*North*`` stays literal."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def _zone(context: Context) -> ZoneInfo | None:
    name = context.get("timezone")
    return ZoneInfo(name) if isinstance(name, str) and name else None


@pass_context
def localtime(context: Context, value: float | None, fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
    """Epoch seconds in the route's timezone (UTC when none is set)."""
    if value is None:
        return ""
    moment = datetime.fromtimestamp(float(value), tz=UTC)
    zone = _zone(context)
    return (moment.astimezone(zone) if zone else moment).strftime(fmt)


_UNITS = ((86400, "d"), (3600, "h"), (60, "min"))


@pass_context
def reltime(context: Context, value: float | None) -> str:
    """Epoch seconds relative to the render time: ``5 min ago``, ``in 2 h``, ``just now``."""
    if value is None:
        return ""
    delta = float(context.get("now") or 0) - float(value)
    size = abs(delta)
    if size < 60:
        return "just now"
    amount, unit = next((int(size // s), u) for s, u in _UNITS if size >= s)
    return f"{amount} {unit} ago" if delta > 0 else f"in {amount} {unit}"


# Names SSTI payloads reach for in Flask apps. They do not exist here; they are
# defined as tripwires so such a template fails as a security error, not as a typo.
_TRIPWIRES = ("config", "request", "session", "g", "url_for", "get_flashed_messages")


class _Forbidden:
    """A global that refuses every use: printing, attributes, items, calls."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise SecurityError(f"{self.name!r} is not available to templates")

    __str__ = __html__ = __call__ = __getitem__ = __iter__ = __bool__ = _refuse


class _Sandbox(SandboxedEnvironment):
    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, _Forbidden):
            return False
        return bool(super().is_safe_attribute(obj, attr, value))


def _environment(autoescape: bool) -> SandboxedEnvironment:
    env = _Sandbox(
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        autoescape=autoescape,
        trim_blocks=True,  # block tags on their own line leave no blank line behind
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(percent=percent, kinds=kinds, summary=summary, kind_counts=kind_counts,
                       localtime=localtime, reltime=reltime, clip=clip, md=md)
    env.globals.update({name: _Forbidden(name) for name in _TRIPWIRES})
    return env


TEXT_ENV = _environment(autoescape=False)
HTML_ENV = _environment(autoescape=True)


@lru_cache(maxsize=256)
def compile_source(source: str, html: bool = False) -> Template:
    """A custom template, compiled once (receivers share a handful; compiling is ~100x)."""
    return (HTML_ENV if html else TEXT_ENV).from_string(source)


def default_template(name: str) -> Template:
    """A built-in template file under router/channels/templates (Jinja caches it)."""
    return (HTML_ENV if name.endswith(".html.j2") else TEXT_ENV).get_template(name)


def check_template(source: str) -> str | None:
    """The syntax error of ``source`` as ``line N: message``, or None when it compiles."""
    try:
        compile_source(source)
    except TemplateSyntaxError as e:
        return f"line {e.lineno}: {e.message}"
    return None


def run(which: str, template: str | Template, context: Mapping[str, Any],
        html: bool = False) -> str:
    """Render one template; every failure becomes a RenderError naming the template."""
    try:
        compiled = compile_source(template, html) if isinstance(template, str) else template
        return compiled.render(context)
    except TemplateSyntaxError as e:
        raise RenderError(
            f"{which} template has a syntax error on line {e.lineno}: {e.message}") from e
    except SecurityError as e:
        raise RenderError(f"{which} template was stopped by the sandbox (security): {e}") from e
    except UndefinedError as e:
        raise RenderError(f"{which} template uses an undefined value: {e.message}; "
                          f"available: {CONTEXT_NAMES}") from e
    except TemplateError as e:
        raise RenderError(f"{which} template failed: {e.message or e}") from e
    except Exception as e:
        # Arithmetic, type, timezone or sandbox range errors raised by template expressions.
        raise RenderError(f"{which} template failed: {type(e).__name__}: {e}") from e
