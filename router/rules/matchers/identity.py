"""Status, camera and license matchers: what a camera is, and which one it is."""

from __future__ import annotations

import difflib
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BeforeValidator,
    PrivateAttr,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from router.model import Status, label_key
from router.rules.base import StrictModel, yaml_kind
from router.rules.context import MatchContext
from router.rules.matchers.base import (
    Compiled,
    IndexKey,
    Matcher,
    Names,
    Patterns,
    non_empty,
    shorthand,
    show,
    valid_patterns,
)

_STATUS_NAMES = tuple(s.value for s in Status)


def parse_status(value: Any) -> Status:
    """``offline``, ``Offline``, ``under review``, ``UNDER_REVIEW`` -> a ``Status``."""
    if not isinstance(value, str):
        raise PydanticCustomError("status_type", f"expected a status name, got {yaml_kind(value)}")
    key = label_key(value).replace(" ", "_")
    if key in _STATUS_NAMES:
        return Status(key)
    close = difflib.get_close_matches(key, _STATUS_NAMES, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise PydanticCustomError(
        "unknown_status",
        "unknown status {value} (" + hint + "known: " + ", ".join(_STATUS_NAMES) + ")",
        {"value": repr(value)},
    )


StatusName = Annotated[Status, BeforeValidator(parse_status), WithJsonSchema(
    {"type": "string", "description": "case-insensitive: " + ", ".join(_STATUS_NAMES)})]


class StatusMatcher(StrictModel):
    """The camera event's status (offline, anomaly...): one of ``any``."""

    kind: ClassVar[str] = "status"

    any: Annotated[tuple[StatusName, ...], AfterValidator(non_empty)]

    _any: frozenset[Status] = PrivateAttr(frozenset())

    @model_validator(mode="before")
    @classmethod
    def _expand_shorthand(cls, value: Any) -> Any:
        return shorthand(value, ("any",), scalar=True)

    def model_post_init(self, context: Any, /) -> None:
        self._any = frozenset(self.any)

    def compile(self, env: Any) -> Matcher:
        wanted = self._any
        return Compiled(self, lambda ctx: ctx.event.status in wanted)

    def check(self, ctx: MatchContext) -> str | None:
        if ctx.event.status in self._any:
            return None
        return f"status: {ctx.event.status.value} not in {show(s.value for s in self.any)}"

    def describe(self) -> str:
        return f"status any {show(s.value for s in self.any)}"

    def index_key(self) -> IndexKey | None:
        return ("status", frozenset(s.value for s in self._any))




class _PatternMatcher(StrictModel):
    """``any`` of exact strings, globs or ``re:`` regexes against one or more fields."""

    kind: ClassVar[str]
    index_name: ClassVar[str]

    any: Annotated[Names, valid_patterns(regex=True)]

    _patterns: Patterns = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _expand_shorthand(cls, value: Any) -> Any:
        return shorthand(value, ("any",), scalar=True)

    def model_post_init(self, context: Any, /) -> None:
        self._patterns = Patterns(self.any, regex=True)

    def compile(self, env: Any) -> Matcher:
        hit_any, values = self._patterns.hit_any, self.values
        return Compiled(self, lambda ctx: hit_any(values(ctx)))

    def values(self, ctx: MatchContext) -> tuple[str, ...]:
        raise NotImplementedError

    def check(self, ctx: MatchContext) -> str | None:
        values = self.values(ctx)
        if self._patterns.hit_any(values):
            return None
        return f"{self.kind}: {' / '.join(values)} not in {show(self.any)}"

    def describe(self) -> str:
        return f"{self.kind} any {show(self.any)}"

    def index_key(self) -> IndexKey | None:
        return (self.index_name, self._patterns.exact) if self._patterns.only_exact else None


class CameraMatcher(_PatternMatcher):
    """The camera's serial or its name."""

    kind: ClassVar[str] = "camera"
    index_name: ClassVar[str] = "camera"

    def values(self, ctx: MatchContext) -> tuple[str, ...]:
        return (ctx.event.serial, ctx.event.name)


class LicenseMatcher(_PatternMatcher):
    """The VisionAlert license code of the alert."""

    kind: ClassVar[str] = "license"
    index_name: ClassVar[str] = "license"

    def values(self, ctx: MatchContext) -> tuple[str, ...]:
        return (ctx.event.license,)
