"""Render stage: camera events of one notification -> title and body.

Templates are Jinja2 in a sandbox (rules.yaml is written by operators, but a
template must never reach Python internals), with ``StrictUndefined`` so a
misspelt variable fails loudly instead of sending an empty line, and without
autoescape because the output is plain text or markdown, not HTML.
``trim_blocks`` and ``lstrip_blocks`` are on so block tags on their own line
leave no blank lines behind.

Template context: ``events`` (list of ``CameraEvent.to_dict()``), ``event``
(the first of them), ``license`` (the license code; several are joined with
", "), ``receiver``, ``route``, ``count`` (number of events) and
``external_url`` (the router's public URL, or None).

Filters: ``percent`` (0.87 -> ``87%``), ``kinds`` (an event's anomaly types,
or its status in words), ``summary`` (kinds with scores: ``Obstruction 87%``)
and ``kind_counts`` (events -> ``Offline 2, Obstruction 1``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from router.errors import RouterError
from router.model import CameraEvent
from router.rules.templates import TemplateSet

_CONTEXT_NAMES = "events, event, license, receiver, route, count, external_url"


class RenderError(RouterError):
    """A template cannot be compiled or rendered; the message says which and why."""


@dataclass(frozen=True)
class Image:
    """An image that belongs with a message: ``role`` is "snapshot" or "reference"."""

    role: str
    url: str
    camera: str = ""


@dataclass(frozen=True)
class Rendered:
    """One message as one target will receive it (stored on its delivery as JSON)."""

    title: str
    body: str
    body_format: str = "text"  # "text" | "markdown" | "html" (Apprise's names)
    html: str | None = None  # e-mail's HTML alternative
    images: tuple[Image, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "body": self.body, "body_format": self.body_format,
                "html": self.html,
                "images": [{"role": i.role, "url": i.url, "camera": i.camera}
                           for i in self.images]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Rendered:
        return cls(title=d["title"], body=d["body"], body_format=d.get("body_format", "text"),
                   html=d.get("html"),
                   images=tuple(Image(**i) for i in d.get("images") or ()))


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


def kind_counts(events: Sequence[Mapping[str, Any]]) -> str:
    """``Offline 2, Obstruction 1``: most frequent first, ties alphabetical."""
    counts = Counter(k[:1].upper() + k[1:] for e in events for k in kinds(e))
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{kind} {n}" for kind, n in ordered)


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,  # plain text and markdown, never HTML
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(percent=percent, kinds=kinds, summary=summary, kind_counts=kind_counts)
    return env


_ENV = _environment()


@lru_cache(maxsize=256)
def _compile(source: str) -> Template:
    # Receivers share a handful of templates; compiling is ~100x rendering.
    return _ENV.from_string(source)


@lru_cache(maxsize=8)
def _default(name: str) -> str:
    return files("router.channels").joinpath("templates", name).read_text(encoding="utf-8")


def check_template(source: str) -> str | None:
    """The syntax error of ``source`` as ``line N: message``, or None when it compiles."""
    try:
        _compile(source)
    except TemplateSyntaxError as e:
        return f"line {e.lineno}: {e.message}"
    return None


def _licenses(events: Sequence[CameraEvent]) -> str:
    return ", ".join(dict.fromkeys(e.license for e in events))


def _render_one(which: str, source: str, context: Mapping[str, Any]) -> str:
    """Render one template; every failure becomes a RenderError naming the template."""
    try:
        return _compile(source).render(context)
    except TemplateSyntaxError as e:
        raise RenderError(
            f"{which} template has a syntax error on line {e.lineno}: {e.message}"
        ) from e
    except SecurityError as e:
        raise RenderError(f"{which} template was stopped by the sandbox (security): {e}") from e
    except UndefinedError as e:
        raise RenderError(
            f"{which} template uses an undefined value: {e.message}; "
            f"available: {_CONTEXT_NAMES}"
        ) from e
    except TemplateError as e:
        raise RenderError(f"{which} template failed: {e.message or e}") from e
    except Exception as e:
        # Arithmetic, type or sandbox range errors raised by template expressions.
        raise RenderError(f"{which} template failed: {type(e).__name__}: {e}") from e


def render(
    events: Sequence[CameraEvent],
    *,
    receiver: str,
    route: str,
    title_template: str | None = None,
    body_template: str | None = None,
    external_url: str | None = None,
) -> Rendered:
    """Render one notification about ``events`` for ``receiver``."""
    if not events:
        raise RenderError("nothing to render: the notification has no camera events")
    dicts = [e.to_dict() for e in events]
    context: dict[str, Any] = {
        "events": dicts,
        "event": dicts[0],
        "license": _licenses(events),
        "receiver": receiver,
        "route": route,
        "count": len(dicts),
        "external_url": external_url,
    }
    # None means "the default"; an empty template is a deliberate empty text.
    if title_template is None:
        title_template = _default("default.title.j2")
    if body_template is None:
        body_template = _default("default.body.j2")
    title = _render_one("title", title_template, context)
    body = _render_one("body", body_template, context)
    # A subject line cannot hold line breaks (e-mail, SMS); fold them.
    return Rendered(title=" ".join(title.split()), body=body.strip("\n"))


def render_for_target(
    url: str,
    events: Sequence[CameraEvent],
    *,
    receiver: str,
    route: str,
    template: TemplateSet | None = None,
    kind: str = "firing",
    reason: str | None = None,
    external_url: str | None = None,
) -> Rendered:
    """Render the message for one target, in the format of the target's channel family.

    ``kind`` is "firing" or "resolved"; ``reason`` is the lifecycle decision that sent it.
    """
    text = template.for_family("generic") if template else None
    return render(events, receiver=receiver, route=route,
                  title_template=text.title if text else None,
                  body_template=text.body if text else None,
                  external_url=external_url)
