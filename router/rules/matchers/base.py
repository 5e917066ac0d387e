"""Matchers: one class per kind of condition a route puts on a camera event.

Each matcher kind is a strict pydantic model (what rules.yaml says). At load time
it compiles into a runtime matcher (sets, regexes, windows built once) that
answers three pure questions:

- ``check(ctx)``: ``None`` when the event satisfies it, else why not;
- ``describe()``: what it requires, for "why did this route match";
- ``index_key()``: an exact value the event *must* have for the matcher to hold
  (``('status', {'offline'})``), which lets routing skip routes cheaply; or None.

A new kind of matcher is a new module in this package plus one field on ``MatchSpec``.

Comparison rules: tags, camera serials and names, and license codes are exact,
case-sensitive strings (as VisionAlert stores them), or globs (``site-*``);
camera and license also take regexes written ``re:<pattern>`` (anchored: the
whole value must match). Anomaly types and statuses compare case-insensitively
(``label_key``), as the labels VisionAlert sends vary in case.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Protocol

from pydantic import (
    AfterValidator,
)
from pydantic_core import PydanticCustomError

from router.rules.base import yaml_kind
from router.rules.context import MatchContext

IndexKey = tuple[str, frozenset[str]]


class Matcher(Protocol):
    """What routing needs from a compiled matcher."""

    def holds(self, ctx: MatchContext) -> bool:
        """The fast question routing asks: no reason is built."""
        ...

    def check(self, ctx: MatchContext) -> str | None: ...

    def describe(self) -> str: ...

    def index_key(self) -> IndexKey | None: ...


def non_empty(items: tuple[Any, ...]) -> tuple[Any, ...]:
    if not items:
        raise PydanticCustomError("empty", "must not be empty")
    return items


Names = Annotated[tuple[str, ...], AfterValidator(non_empty)]


def show(items: Iterable[str]) -> str:
    return "[" + ", ".join(items) + "]"


def shorthand(value: Any, keys: tuple[str, ...], scalar: bool = False) -> Any:
    """``[a, b]`` (or ``a`` when ``scalar``) means ``{any: [a, b]}``."""
    if isinstance(value, list):
        return {"any": value}
    if scalar and isinstance(value, str):
        return {"any": [value]}
    if isinstance(value, dict):
        return value
    what = "a string, a list" if scalar else "a list"
    raise PydanticCustomError(
        "matcher_type",
        f"expected {what} or a mapping with {', '.join(keys)}, got {yaml_kind(value)}",
    )




def is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def literal_prefix(pattern: str) -> str:
    """``zone-3-*`` -> ``zone-3-``: what every value matching the glob starts with."""
    for i, c in enumerate(pattern):
        if c in "*?[":
            return pattern[:i]
    return pattern


def _compile_pattern(pattern: str, regex: bool) -> re.Pattern[str] | None:
    """None for an exact string; a compiled (anchored) regex for a glob or ``re:``."""
    if regex and pattern.startswith("re:"):
        try:
            return re.compile(pattern[3:])
        except re.error as exc:
            raise PydanticCustomError(
                "regex", "invalid regular expression {value}: {detail}",
                {"value": repr(pattern), "detail": str(exc)}) from None
    if is_glob(pattern):
        return re.compile(fnmatch.translate(pattern))
    return None


class Patterns:
    """Exact strings in a set, globs and regexes as compiled patterns."""

    __slots__ = ("exact", "regexes")

    def __init__(self, patterns: Iterable[str], regex: bool = False) -> None:
        exact: set[str] = set()
        regexes: list[re.Pattern[str]] = []
        for p in patterns:
            compiled = _compile_pattern(p, regex)
            if compiled is None:
                exact.add(p)
            else:
                regexes.append(compiled)
        self.exact = frozenset(exact)
        self.regexes = tuple(regexes)

    def hit(self, value: str) -> bool:
        return value in self.exact or any(r.fullmatch(value) for r in self.regexes)

    def hit_any(self, values: Iterable[str]) -> bool:
        if not self.regexes:
            return not self.exact.isdisjoint(values)
        return any(self.hit(v) for v in values)

    @property
    def only_exact(self) -> bool:
        return not self.regexes


def valid_patterns(regex: bool) -> Any:
    def validate(items: tuple[str, ...]) -> tuple[str, ...]:
        Patterns(items, regex)  # raises on a bad regex
        return items

    return AfterValidator(validate)


class Compiled:
    """A spec matcher at run time: ``holds`` is a closure over plain sets and regexes
    (pydantic attribute access is slow on the hot path); reasons come from the spec."""

    __slots__ = ("holds", "spec")

    def __init__(self, spec: Any, holds: Callable[[MatchContext], bool]) -> None:
        self.spec = spec
        self.holds = holds

    def check(self, ctx: MatchContext) -> str | None:
        return None if self.holds(ctx) else self.spec.check(ctx)

    def describe(self) -> str:
        return str(self.spec.describe())

    def index_key(self) -> IndexKey | None:
        found: IndexKey | None = self.spec.index_key()
        return found


