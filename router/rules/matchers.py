"""Matchers: one class per kind of condition a route puts on a camera event.

Each matcher kind is a strict pydantic model (what rules.yaml says). At load time
it compiles into a runtime matcher (sets, regexes, windows built once) that
answers three pure questions:

- ``check(ctx)``: ``None`` when the event satisfies it, else why not;
- ``describe()``: what it requires, for "why did this route match";
- ``index_key()``: an exact value the event *must* have for the matcher to hold
  (``('status', {'offline'})``), which lets routing skip routes cheaply; or None.

A new kind of matcher is a new class here plus one field on ``MatchSpec``.

Comparison rules: tags, camera serials and names, and license codes are exact,
case-sensitive strings (as VisionAlert stores them), or globs (``site-*``);
camera and license also take regexes written ``re:<pattern>`` (anchored: the
whole value must match). Anomaly types and statuses compare case-insensitively
(``label_key``), as the labels VisionAlert sends vary in case.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any, ClassVar, Protocol

from pydantic import (
    AfterValidator,
    BeforeValidator,
    PrivateAttr,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from router.model import Status, canonical_anomaly, label_key
from router.rules.base import StrictModel, yaml_kind
from router.rules.context import MatchContext

IndexKey = tuple[str, frozenset[str]]
__all__ = ["StrictModel", "yaml_kind"]  # re-exported: older imports use this module


class Matcher(Protocol):
    """What routing needs from a compiled matcher."""

    def holds(self, ctx: MatchContext) -> bool:
        """The fast question routing asks: no reason is built."""
        ...

    def check(self, ctx: MatchContext) -> str | None: ...

    def describe(self) -> str: ...

    def index_key(self) -> IndexKey | None: ...


def _non_empty(items: tuple[Any, ...]) -> tuple[Any, ...]:
    if not items:
        raise PydanticCustomError("empty", "must not be empty")
    return items


Names = Annotated[tuple[str, ...], AfterValidator(_non_empty)]


def show(items: Iterable[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _shorthand(value: Any, keys: tuple[str, ...], scalar: bool = False) -> Any:
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


# ---------------------------------------------------------------- patterns


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def _literal_prefix(pattern: str) -> str:
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
    if _is_glob(pattern):
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


def _valid_patterns(regex: bool) -> Any:
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


# ---------------------------------------------------------------- tags


class TagsMatcher(StrictModel):
    """Camera tags: ``any`` / ``all`` / ``none`` of exact tags or globs."""

    kind: ClassVar[str] = "tags"

    any: Names | None = None
    all: Names | None = None
    none: Names | None = None

    _any: Patterns = PrivateAttr()
    _all: tuple[Patterns, ...] = PrivateAttr(())
    _none: Patterns = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _expand_shorthand(cls, value: Any) -> Any:
        return _shorthand(value, ("any", "all", "none"))

    @model_validator(mode="after")
    def _something_given(self) -> TagsMatcher:
        if self.any is None and self.all is None and self.none is None:
            raise PydanticCustomError("empty_matcher", "give at least one of any, all, none")
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._any = Patterns(self.any or ())
        self._all = tuple(Patterns((p,)) for p in self.all or ())
        self._none = Patterns(self.none or ())

    def compile(self, env: Any) -> Matcher:
        any_ = self._any if self.any else None
        all_ = self._all
        none = self._none if self.none else None

        def holds(ctx: MatchContext) -> bool:
            tags = ctx.event.tags
            if any_ is not None and not any_.hit_any(tags):
                return False
            if not all(p.hit_any(tags) for p in all_):
                return False
            return none is None or not none.hit_any(tags)

        return Compiled(self, holds)

    def check(self, ctx: MatchContext) -> str | None:
        tags = ctx.event.tags
        if self.any and not self._any.hit_any(tags):
            return f"tags: none of {show(self.any)} in {show(tags)}"
        if self.all:
            missing = [p for p, c in zip(self.all, self._all, strict=True) if not c.hit_any(tags)]
            if missing:
                return (f"tags: {show(missing)} missing, all of {show(self.all)} required, "
                        f"in {show(tags)}")
        if self.none:
            present = [t for t in tags if self._none.hit(t)]
            if present:
                return f"tags: {show(present)} excluded by none {show(self.none)}"
        return None

    def describe(self) -> str:
        parts = [f"{word} {show(names)}" for word, names in
                 (("any", self.any), ("all", self.all), ("none", self.none)) if names]
        return f"tags {', '.join(parts)}"

    def index_key(self) -> IndexKey | None:
        if self.any and self._any.only_exact:
            return ("tag", self._any.exact)
        exact = [p for p in self.all or () if not _is_glob(p)]
        if exact:
            return ("tag", frozenset(exact[:1]))
        # Globs with a literal start (`zone-3-*`): a tag must begin with one of them.
        prefixes = frozenset(_literal_prefix(p) for p in self.any or ())
        return ("tag_prefix", prefixes) if prefixes and "" not in prefixes else None


# ---------------------------------------------------------------- anomalies


def _score(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("score_type", f"expected a score from 0 to 1, got "
                                                f"{yaml_kind(value)}")
    if not 0 <= value <= 1:
        raise PydanticCustomError("score_range", "a score is from 0 to 1 (0.8 means 80%)")
    return float(value)


def _min_score(value: Any) -> float | dict[str, float]:
    """One floor for every type, or a mapping type -> floor; one message either way."""
    if isinstance(value, dict):
        return {str(k): _score(v) for k, v in value.items()}
    return _score(value)


MinScore = Annotated[float | dict[str, float], BeforeValidator(_min_score), WithJsonSchema(
    {"anyOf": [{"type": "number", "minimum": 0, "maximum": 1},
               {"type": "object", "additionalProperties": {
                   "type": "number", "minimum": 0, "maximum": 1}}]})]


def _shown_score(score: float | None) -> str:
    return "no score" if score is None else f"{score:g}"


class AnomaliesMatcher(StrictModel):
    """Anomaly types (Blur, Obstruction...), case-insensitive, with optional score floors.

    ``min_score`` (one number, or a mapping type -> number) makes an anomaly
    count only when its score reaches the floor; an anomaly without a score
    (an unenriched event) never reaches a floor.
    """

    kind: ClassVar[str] = "anomalies"

    any: Names | None = None
    all: Names | None = None
    none: Names | None = None
    min_score: MinScore | None = None

    _any: frozenset[str] = PrivateAttr(frozenset())
    _all: frozenset[str] = PrivateAttr(frozenset())
    _none: frozenset[str] = PrivateAttr(frozenset())
    _floor: float | None = PrivateAttr(None)
    _floors: dict[str, float] = PrivateAttr(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _expand_shorthand(cls, value: Any) -> Any:
        return _shorthand(value, ("any", "all", "none", "min_score"))

    @model_validator(mode="after")
    def _something_given(self) -> AnomaliesMatcher:
        if self.any is None and self.all is None and self.none is None \
                and self.min_score is None:
            raise PydanticCustomError("empty_matcher",
                                      "give at least one of any, all, none, min_score")
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._any = frozenset(map(label_key, self.any or ()))
        self._all = frozenset(map(label_key, self.all or ()))
        self._none = frozenset(map(label_key, self.none or ()))
        if isinstance(self.min_score, dict):
            self._floors = {label_key(k): v for k, v in self.min_score.items()}
        else:
            self._floor = self.min_score

    def compile(self, env: Any) -> Matcher:
        any_, all_, none = self._any, self._all, self._none
        alone = self.min_score is not None and not (any_ or all_)
        per_type, floor = dict(self._floors), self._floor
        floors = frozenset(per_type)

        def counts(key: str, score: float | None) -> bool:
            wanted = per_type.get(key, floor)
            return wanted is None or (score is not None and score >= wanted)

        def holds(ctx: MatchContext) -> bool:
            have = {key for key, score in
                    ((label_key(n), s) for n, s in ctx.event.anomalies.items())
                    if counts(key, score)}
            if any_ and any_.isdisjoint(have):
                return False
            if all_ and not all_ <= have:
                return False
            if none and not none.isdisjoint(have):
                return False
            return not alone or bool(have & floors if floors else have)

        return Compiled(self, holds)

    def _counts(self, key: str, score: float | None) -> bool:
        floor = self._floors.get(key, self._floor)
        return floor is None or (score is not None and score >= floor)

    def check(self, ctx: MatchContext) -> str | None:
        anomalies = ctx.event.anomalies
        have = {label_key(name) for name, score in anomalies.items()
                if self._counts(label_key(name), score)}
        if self.any and not self._any & have:
            return f"anomalies: none of {self._list(self.any)}{self._at()} in {self._seen(ctx)}"
        if self.all and not self._all <= have:
            missing = [n for n in self.all if label_key(n) not in have]
            return (f"anomalies: {self._list(missing)} missing, all of {self._list(self.all)}"
                    f"{self._at()} required, in {self._seen(ctx)}")
        if self.none and self._none & have:
            present = [n for n in self.none if label_key(n) in have]
            return (f"anomalies: {self._list(present)} excluded by none "
                    f"{self._list(self.none)}{self._at()}")
        if self.min_score is not None and not (self.any or self.all):
            scored = have & set(self._floors) if self._floors else have
            if not scored:
                return f"anomalies: none{self._at()} in {self._seen(ctx)}"
        return None

    def _at(self) -> str:
        if self.min_score is None:
            return ""
        if isinstance(self.min_score, dict):
            floors = ", ".join(f"{canonical_anomaly(k)} {v:g}" for k, v in self.min_score.items())
            return f" at min_score {{{floors}}}"
        return f" at min_score {self.min_score:g}"

    def _seen(self, ctx: MatchContext) -> str:
        if self.min_score is None:
            return show(ctx.event.anomalies)
        return show(f"{n} {_shown_score(s)}" for n, s in ctx.event.anomalies.items())

    def describe(self) -> str:
        parts = [f"{word} {self._list(names)}" for word, names in
                 (("any", self.any), ("all", self.all), ("none", self.none)) if names]
        text = f"anomalies {', '.join(parts)}" if parts else "anomalies"
        return text + self._at()

    def index_key(self) -> IndexKey | None:
        return None

    @staticmethod
    def _list(names: Iterable[str] | None) -> str:
        return show(canonical_anomaly(n) for n in names or ())


# ---------------------------------------------------------------- status

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

    any: Annotated[tuple[StatusName, ...], AfterValidator(_non_empty)]

    _any: frozenset[Status] = PrivateAttr(frozenset())

    @model_validator(mode="before")
    @classmethod
    def _expand_shorthand(cls, value: Any) -> Any:
        return _shorthand(value, ("any",), scalar=True)

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


# ---------------------------------------------------------------- camera, license


class _PatternMatcher(StrictModel):
    """``any`` of exact strings, globs or ``re:`` regexes against one or more fields."""

    kind: ClassVar[str]
    index_name: ClassVar[str]

    any: Annotated[Names, _valid_patterns(regex=True)]

    _patterns: Patterns = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _expand_shorthand(cls, value: Any) -> Any:
        return _shorthand(value, ("any",), scalar=True)

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
