"""What rules.yaml may say (strict pydantic specs) and what routing uses (frozen values).

The ``*Spec`` models mirror the file one to one and only validate; ``load_rules``
turns them into ``Rules``, ``Receiver`` and ``Route``. Keeping the two apart lets
the file grow (child routes, timing options, more matchers) without changing
what the pipeline holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sized
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, TypeVar

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import AfterValidator, Field, StrictBool
from pydantic_core import PydanticCustomError

from router.model import CameraEvent
from router.rules.matchers import (
    AnomaliesMatcher,
    Matcher,
    StatusMatcher,
    StrictModel,
    TagsMatcher,
)
from router.rules.templates import TemplateSet

# ---------------------------------------------------------------- validation

_Sized = TypeVar("_Sized", bound=Sized)


def _non_blank(text: str) -> str:
    if not text.strip():
        raise PydanticCustomError("blank", "must not be empty")
    return text


def _apprise_url(url: str) -> str:
    # Only the shape: Apprise itself judges the scheme when it is used. The URL
    # is never quoted back, as it usually carries a secret.
    if not url.strip():
        raise PydanticCustomError(
            "blank_url", "empty URL (if it comes from ${VAR:-}, set the variable)"
        )
    if "://" not in url:
        raise PydanticCustomError(
            "not_a_url", "not an Apprise URL: expected scheme://... (for example log://)"
        )
    return url


def _some_urls(urls: tuple[str, ...]) -> tuple[str, ...]:
    if not urls:
        raise PydanticCustomError("no_urls", "must list at least one Apprise URL (e.g. log://)")
    return urls


@cache
def _jinja() -> SandboxedEnvironment:
    # Parsing only, to report syntax errors at load time; rendering (and its
    # escaping policy) belongs to the render stage.
    return SandboxedEnvironment(autoescape=True)


def _template(text: str) -> str:
    try:
        _jinja().parse(text)
    except TemplateSyntaxError as exc:
        raise PydanticCustomError(
            "template_syntax",
            "invalid Jinja2 template: {detail} (template line {line})",
            {"detail": exc.message or "syntax error", "line": exc.lineno},
        ) from None
    return text


def _not_empty(items: _Sized) -> _Sized:
    if not items:
        raise PydanticCustomError("empty", "must not be empty")
    return items


Name = Annotated[str, AfterValidator(_non_blank)]
AppriseUrl = Annotated[str, AfterValidator(_apprise_url)]
Template = Annotated[str, AfterValidator(_template)]


class ReceiverSpec(StrictModel):
    """``receivers.<name>``: where notifications go and how they read."""

    urls: Annotated[tuple[AppriseUrl, ...], AfterValidator(_some_urls)]
    title: Template | None = None
    body: Template | None = None


class MatchSpec(StrictModel):
    """``routes[i].match``: every matcher given must hold (AND); none given matches all."""

    tags: TagsMatcher | None = None
    anomalies: AnomaliesMatcher | None = None
    status: StatusMatcher | None = None

    def matchers(self) -> tuple[Matcher, ...]:
        """The given matchers, in declaration order (the order failures are reported)."""
        found = (getattr(self, name) for name in type(self).model_fields)
        return tuple(m for m in found if m is not None)


class RouteSpec(StrictModel):
    """``routes[i]``."""

    name: Name | None = None
    match: MatchSpec | None = None
    receivers: Annotated[tuple[Name, ...], AfterValidator(_not_empty)]
    continue_: StrictBool = Field(default=False, alias="continue")


class RulesSpec(StrictModel):
    """The whole of rules.yaml."""

    receivers: Annotated[dict[Name, ReceiverSpec], AfterValidator(_not_empty)]
    routes: Annotated[list[RouteSpec], AfterValidator(_not_empty)]


# ---------------------------------------------------------------- runtime values


@dataclass(frozen=True)
class Receiver:
    """A named set of Apprise URLs and the templates to render for them."""

    name: str
    # repr=False: URLs carry tokens and passwords; a logged Receiver must not.
    urls: tuple[str, ...] = field(repr=False)
    title: str | None = None
    body: str | None = None
    template: TemplateSet | None = None


@dataclass(frozen=True)
class RouteOptions:
    """Timing and lifecycle options of a route (Alertmanager's names), inherited by
    child routes; the notification lifecycle stage acts on them. Seconds."""

    group_by: tuple[str, ...] = ("license",)
    group_wait: float = 30.0
    group_interval: float = 300.0
    repeat_interval: float = 4 * 3600.0
    send_resolved: bool = False
    hold_for: float = 0.0
    template: TemplateSet | None = None  # overrides the receivers' templates


@dataclass(frozen=True)
class Route:
    """One routing rule: matchers (all must hold), receivers, and whether to go on."""

    name: str
    receivers: tuple[str, ...]
    matchers: tuple[Matcher, ...] = ()
    continue_: bool = False
    options: RouteOptions = field(default_factory=RouteOptions)
    reason: str = field(init=False, repr=False)
    """Why an event that passes every matcher matched, computed once."""

    def __post_init__(self) -> None:
        described = "; ".join(m.describe() for m in self.matchers) or "catch-all"
        object.__setattr__(self, "reason", described)

    def check(self, event: CameraEvent) -> str | None:
        """``None`` if the event matches, else the reason of the first failing matcher."""
        for matcher in self.matchers:
            failure = matcher.check(event)
            if failure is not None:
                return failure
        return None


@dataclass(frozen=True)
class Rules:
    """A validated rules.yaml, ready for ``route_event``."""

    receivers: dict[str, Receiver]
    routes: list[Route]
    source: Path
    digest: str
    """sha256 of the file's bytes: tells which version of the rules decided."""
    positions: Mapping[str, tuple[int, int]] = field(default_factory=dict, repr=False)
    """``'receivers.noc'`` -> (line, column) where that value is written."""

    def position(self, path: str) -> tuple[int, int]:
        """Where ``path`` (``routes[0].match``) or its nearest written parent is: for tools."""
        while path:
            found = self.positions.get(path)
            if found is not None:
                return found
            path = path[: max(path.rfind("."), path.rfind("["), 0)]
        return (1, 1)
