"""What rules.yaml may say (strict pydantic specs) and what routing uses (frozen values).

The ``*Spec`` models mirror the file one to one and only validate; ``load_rules``
turns them into ``Rules``, ``Receiver`` and ``Route`` (see build.py). Keeping the
two apart lets the file grow without changing what the pipeline holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sized
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    GetJsonSchemaHandler,
    StrictBool,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from router.errors import SandboxProblem
from router.model import CameraEvent
from router.rules.base import StrictModel
from router.rules.context import MatchContext
from router.rules.index import SiblingIndex
from router.rules.matchers import (
    AnomaliesMatcher,
    CameraMatcher,
    IndexKey,
    LicenseMatcher,
    Matcher,
    StatusMatcher,
    TagsMatcher,
)
from router.rules.options import GroupField, OptionsSpec
from router.rules.ratelimit import RateLimit, RateLimitSpec  # lifecycle: receivers' rate_limit

if TYPE_CHECKING:
    from router.rules.inhibit import InhibitRule  # imports this module
from router.rules.sandbox import compile_when
from router.rules.templates import TemplateSet
from router.rules.templatespec import Template, TemplateSpec
from router.rules.timewin import Timezone, WindowSpec

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


def _not_empty(items: _Sized) -> _Sized:
    if not items:
        raise PydanticCustomError("empty", "must not be empty")
    return items


def _when(source: str) -> str:
    try:
        compile_when(source)
    except SandboxProblem as exc:
        kind = "when_security" if exc.security else "when_syntax"
        raise PydanticCustomError(kind, exc.format("{detail}"), {"detail": exc.detail}
                                  ) from None
    return source


def _listed(value: Any) -> Any:
    """A single entry may be written without the list around it."""
    return value if isinstance(value, list) else [value]


def _time_entries(value: Any) -> Any:
    return [{"interval": v} if isinstance(v, str) else v for v in _listed(value)]


Name = Annotated[str, AfterValidator(_non_blank)]
AppriseUrl = Annotated[str, AfterValidator(_apprise_url)]
When = Annotated[str, AfterValidator(_when)]
TemplateRef = Name | TemplateSpec


class _OrShort:
    """JSON Schema: the generated schema, or the short forms the validators accept."""

    def __init__(self, *short: dict[str, Any], items: bool = False) -> None:
        self.short = short
        self.items = items  # also accept a single item of a list

    def __get_pydantic_json_schema__(self, core: CoreSchema, handler: GetJsonSchemaHandler
                                     ) -> JsonSchemaValue:
        full = handler(core)
        forms = [*self.short]
        if self.items and "items" in full:
            forms.append(full["items"])
            full = {**full, "items": {"anyOf": [*self.short, full["items"]]}}
        return {"anyOf": [*forms, full]}


def _shorthand_schema(short: dict[str, Any], model: type[StrictModel]) -> Any:
    return _OrShort(short)


_LIST = {"type": "array", "items": {"type": "string"}}
_LIST_OR_STRING = {"anyOf": [{"type": "string"}, _LIST]}


class TimeEntry(WindowSpec):
    """A window written inline, or (``interval``) the name of one under ``time_intervals``."""

    interval: Name | None = None

    @model_validator(mode="before")
    @classmethod
    def _window_or_name(cls, value: Any) -> Any:
        if isinstance(value, dict) and "interval" in value:
            if set(value) - {"interval"}:
                raise PydanticCustomError(
                    "interval_and_window", "give a time interval name or a window, not both")
            # A named interval needs no days/times of its own.
            return {**value, "days": ["mon-sun"]}
        return value


TimeSpec = Annotated[
    tuple[TimeEntry, ...],
    BeforeValidator(_time_entries),
    AfterValidator(_not_empty),
    _OrShort({"type": "string", "description": "a name under time_intervals"}, items=True),
]


class Conditions(StrictModel):
    """Matchers: every one given must hold (AND); none given matches every event."""

    tags: Annotated[TagsMatcher | None, _shorthand_schema(_LIST, TagsMatcher)] = None
    anomalies: Annotated[AnomaliesMatcher | None,
                         _shorthand_schema(_LIST, AnomaliesMatcher)] = None
    status: Annotated[StatusMatcher | None,
                      _shorthand_schema(_LIST_OR_STRING, StatusMatcher)] = None
    camera: Annotated[CameraMatcher | None,
                      _shorthand_schema(_LIST_OR_STRING, CameraMatcher)] = None
    license: Annotated[LicenseMatcher | None,
                       _shorthand_schema(_LIST_OR_STRING, LicenseMatcher)] = None
    enriched: StrictBool | None = None
    time: TimeSpec | None = None
    when: When | None = None

    def given(self) -> list[str]:
        """The matcher keys written, in declaration order (the order failures are reported)."""
        return [name for name in Conditions.model_fields if getattr(self, name) is not None]


class MatchSpec(Conditions):
    """``routes[i].match``; ``not`` holds matchers each of which must *not* hold."""

    not_: Conditions | None = Field(default=None, alias="not")


class ReceiverSpec(StrictModel):
    """``receivers.<name>``: where notifications go and how they read."""

    urls: Annotated[tuple[AppriseUrl, ...], AfterValidator(_some_urls)] | None = None
    urls_file: Name | None = None
    template: TemplateRef | None = None
    title: Template | None = None
    body: Template | None = None
    # Lifecycle (router/rules/inhibit.py): receivers used when every target ends dead,
    # and the most messages each target gets per period (the rest become a digest).
    fallback: tuple[Name, ...] = ()
    rate_limit: RateLimitSpec | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ReceiverSpec:
        if self.urls is None and self.urls_file is None:
            raise PydanticCustomError(
                "no_targets", "no targets: give 'urls' (Apprise URLs) or 'urls_file'")
        if self.template is not None and (self.title is not None or self.body is not None):
            raise PydanticCustomError(
                "template_and_text", "give either 'template' or 'title'/'body', not both")
        return self


class RouteSpec(OptionsSpec):
    """``routes[i]``: matchers, receivers, ``continue``, child routes and timing options."""

    name: Name | None = None
    match: MatchSpec | None = None
    receivers: Annotated[tuple[Name, ...], AfterValidator(_not_empty)] | None = None
    continue_: StrictBool = Field(default=False, alias="continue")
    routes: Annotated[list[RouteSpec], AfterValidator(_not_empty)] | None = None
    template: TemplateRef | None = None


class DefaultsSpec(OptionsSpec):
    """``defaults:``: timing options of every route that does not set its own."""

    template: TemplateRef | None = None


Windows = Annotated[tuple[WindowSpec, ...], BeforeValidator(_listed), AfterValidator(_not_empty),
                    _OrShort(items=True)]


class InhibitRuleSpec(StrictModel):
    """``inhibit_rules[i]``: an active source condition mutes matching targets (inhibit.py)."""

    name: Name | None = None
    source: MatchSpec
    target: MatchSpec
    equal: tuple[GroupField, ...] = ()
    min_fraction: Annotated[float, Field(gt=0, le=1)] | None = None
    # The other way round: mute while the share of sources is below this (the NOC
    # hears of a site only once the outage is site-wide).
    below_fraction: Annotated[float, Field(gt=0, le=1)] | None = None
    routes: tuple[Name, ...] | None = None

    @model_validator(mode="after")
    def _one_fraction(self) -> InhibitRuleSpec:
        if self.min_fraction is not None and self.below_fraction is not None:
            raise PydanticCustomError(
                "two_fractions", "give either 'min_fraction' or 'below_fraction', not both")
        return self


class RulesSpec(StrictModel):
    """The whole of rules.yaml."""

    inhibit_rules: tuple[InhibitRuleSpec, ...] = ()

    receivers: Annotated[dict[Name, ReceiverSpec], AfterValidator(_not_empty)]
    routes: Annotated[list[RouteSpec], AfterValidator(_not_empty)]
    defaults: DefaultsSpec | None = None
    templates: dict[Name, TemplateSpec] | None = None
    time_intervals: dict[Name, Windows] | None = None
    sites: dict[Name, Timezone] | None = None


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
    fallback: tuple[str, ...] = ()
    rate_limit: RateLimit | None = None


@dataclass(frozen=True)
class RouteOptions:
    """Timing and lifecycle options of a route (Alertmanager's names), inherited by
    child routes; the notification lifecycle stage acts on them. Seconds."""

    group_by: tuple[str, ...] = ("license",)
    group_wait: float = 30.0
    group_interval: float = 300.0
    repeat_interval: float = 4 * 3600.0
    send_resolved: bool = False
    send_acknowledged: bool = False
    hold_for: float = 0.0
    template: TemplateSet | None = None  # overrides the receivers' templates
    timezone: str | None = None  # for time windows and local times in messages


@dataclass(frozen=True)
class Route:
    """One routing rule: matchers (all must hold), receivers, whether to go on, children."""

    name: str
    receivers: tuple[str, ...]
    matchers: tuple[Matcher, ...] = ()
    continue_: bool = False
    options: RouteOptions = field(default_factory=RouteOptions)
    routes: tuple[Route, ...] = ()
    path: str = ""
    """Where the route is written (``routes[0].routes[1]``), for ``Rules.position``."""
    reason: str = field(init=False, repr=False)
    """Why an event that passes every matcher matched, computed once."""
    index_keys: tuple[IndexKey, ...] = field(init=False, repr=False, compare=False)
    index: SiblingIndex = field(init=False, repr=False, compare=False)
    """Of the children: built once, so routing can skip those that cannot match."""
    _holds: tuple[Callable[[MatchContext], bool], ...] = field(
        init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_holds", tuple(m.holds for m in self.matchers))
        described = "; ".join(m.describe() for m in self.matchers) or "catch-all"
        object.__setattr__(self, "reason", described)
        keys = (m.index_key() for m in self.matchers)
        object.__setattr__(self, "index_keys", tuple(k for k in keys if k is not None))
        object.__setattr__(self, "index", SiblingIndex(self.routes))

    def check(self, event: CameraEvent | MatchContext) -> str | None:
        """``None`` if the event matches, else the reason of the first failing matcher."""
        ctx = event if isinstance(event, MatchContext) else _context(event)
        for matcher in self.matchers:
            failure = matcher.check(ctx)
            if failure is not None:
                return failure
        return None

    def holds(self, ctx: MatchContext) -> bool:
        """Whether every matcher holds; the fast path, with no reason built."""
        for holds in self._holds:  # noqa: SIM110 - a loop is cheaper than all() on a genexpr
            if not holds(ctx):
                return False
        return True


def _context(event: CameraEvent) -> MatchContext:
    return MatchContext(event, datetime.now(UTC), {})


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
    templates: Mapping[str, TemplateSet] = field(default_factory=dict)
    sites: Mapping[str, str] = field(default_factory=dict)
    defaults: RouteOptions = field(default_factory=RouteOptions)
    files: tuple[Path, ...] = ()
    """Every file the rules were read from (rules.yaml first, then templates, urls_file)."""
    inhibit_rules: tuple[InhibitRule, ...] = ()
    """Compiled ``inhibit_rules`` (router/rules/inhibit.py)."""
    index: SiblingIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", SiblingIndex(self.routes))

    def position(self, path: str) -> tuple[int, int]:
        """Where ``path`` (``routes[0].match``) or its nearest written parent is: for tools."""
        while path:
            found = self.positions.get(path)
            if found is not None:
                return found
            path = path[: max(path.rfind("."), path.rfind("["), 0)]
        return (1, 1)

    def walk(self) -> Iterator[Route]:
        """Every route of the tree, depth-first, in file order."""
        stack = list(reversed(self.routes))
        while stack:
            route = stack.pop()
            yield route
            stack.extend(reversed(route.routes))

