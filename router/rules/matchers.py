"""Matchers: one class per kind of condition a route puts on a camera event.

Each matcher is a strict pydantic model (what rules.yaml says) that compiles its
lists into sets once, at load time, and answers two pure questions:

- ``check(event)``: ``None`` when the event satisfies it, else why not;
- ``describe()``: what it requires, for "why did this route match".

A new kind of matcher is a new class here plus one field on ``MatchSpec``.

Comparison rules: tags are exact strings (case-sensitive, as VisionAlert stores
them); anomaly types and statuses compare case-insensitively (``label_key``),
as the labels VisionAlert sends vary in case.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Annotated, Any, ClassVar, Protocol

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PrivateAttr,
    model_validator,
)
from pydantic_core import PydanticCustomError

from router.model import CameraEvent, Status, canonical_anomaly, label_key


class StrictModel(BaseModel):
    """Base of every rules.yaml model: unknown keys are errors, values immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Matcher(Protocol):
    """What routing needs from a matcher."""

    def check(self, event: CameraEvent) -> str | None: ...

    def describe(self) -> str: ...


def yaml_kind(value: Any) -> str:
    """How a YAML user would name the type of ``value`` (never the value: it may be secret)."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _non_empty(items: tuple[Any, ...]) -> tuple[Any, ...]:
    if not items:
        raise PydanticCustomError("empty", "must not be empty")
    return items


Names = Annotated[tuple[str, ...], AfterValidator(_non_empty)]


def _show(items: Iterable[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _shorthand(value: Any, keys: tuple[str, ...]) -> Any:
    """``[a, b]`` means ``{any: [a, b]}``; anything but a list or mapping is an error."""
    if isinstance(value, list):
        return {"any": value}
    if isinstance(value, dict):
        return value
    raise PydanticCustomError(
        "matcher_type",
        f"expected a list or a mapping with {', '.join(keys)}, got {yaml_kind(value)}",
    )


class _SetMatcher(StrictModel):
    """any / all / none of a set of names against a set taken from the event."""

    kind: ClassVar[str]

    any: Names | None = None
    all: Names | None = None
    none: Names | None = None

    _any: frozenset[str] = PrivateAttr(frozenset())
    _all: frozenset[str] = PrivateAttr(frozenset())
    _none: frozenset[str] = PrivateAttr(frozenset())

    @model_validator(mode="before")
    @classmethod
    def _expand_shorthand(cls, value: Any) -> Any:
        return _shorthand(value, ("any", "all", "none"))

    @model_validator(mode="after")
    def _something_given(self) -> _SetMatcher:
        if self.any is None and self.all is None and self.none is None:
            raise PydanticCustomError("empty_matcher", "give at least one of any, all, none")
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._any = frozenset(map(self.key, self.any or ()))
        self._all = frozenset(map(self.key, self.all or ()))
        self._none = frozenset(map(self.key, self.none or ()))

    @staticmethod
    def key(name: str) -> str:
        """The form under which a configured name and an event's value compare."""
        return name

    @staticmethod
    def shown(name: str) -> str:
        """How a configured name is written in reasons."""
        return name

    def event_values(self, event: CameraEvent) -> tuple[str, ...]:
        raise NotImplementedError

    def check(self, event: CameraEvent) -> str | None:
        values = self.event_values(event)
        have = frozenset(map(self.key, values))
        if self._any and not self._any & have:
            return f"{self.kind}: none of {self._list(self.any)} in {_show(values)}"
        if self._all and not self._all <= have:
            missing = [n for n in self.all or () if self.key(n) not in have]
            return (
                f"{self.kind}: {self._list(missing)} missing, all of {self._list(self.all)} "
                f"required, in {_show(values)}"
            )
        if self._none and self._none & have:
            present = [n for n in self.none or () if self.key(n) in have]
            return f"{self.kind}: {self._list(present)} excluded by none {self._list(self.none)}"
        return None

    def describe(self) -> str:
        parts = [
            f"{word} {self._list(names)}"
            for word, names in (("any", self.any), ("all", self.all), ("none", self.none))
            if names
        ]
        return f"{self.kind} {', '.join(parts)}"

    def _list(self, names: Iterable[str] | None) -> str:
        return _show(self.shown(n) for n in names or ())


class TagsMatcher(_SetMatcher):
    """Camera tags, exact and case-sensitive."""

    kind: ClassVar[str] = "tags"

    def event_values(self, event: CameraEvent) -> tuple[str, ...]:
        return event.tags


class AnomaliesMatcher(_SetMatcher):
    """Anomaly types of the event (Blur, Obstruction...), case-insensitive."""

    kind: ClassVar[str] = "anomalies"

    @staticmethod
    def key(name: str) -> str:
        return label_key(name)

    @staticmethod
    def shown(name: str) -> str:
        return canonical_anomaly(name)

    def event_values(self, event: CameraEvent) -> tuple[str, ...]:
        return tuple(event.anomalies)


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


StatusName = Annotated[Status, BeforeValidator(parse_status)]


class StatusMatcher(StrictModel):
    """The camera event's status (offline, anomaly...): one of ``any``."""

    kind: ClassVar[str] = "status"

    any: Annotated[tuple[StatusName, ...], AfterValidator(_non_empty)]

    _any: frozenset[Status] = PrivateAttr(frozenset())

    @model_validator(mode="before")
    @classmethod
    def _expand_shorthand(cls, value: Any) -> Any:
        return _shorthand(value, ("any",))

    def model_post_init(self, context: Any, /) -> None:
        self._any = frozenset(self.any)

    def check(self, event: CameraEvent) -> str | None:
        if event.status in self._any:
            return None
        return f"status: {event.status.value} not in {_show(s.value for s in self.any)}"

    def describe(self) -> str:
        return f"status any {_show(s.value for s in self.any)}"
