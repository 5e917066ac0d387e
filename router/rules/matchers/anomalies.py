"""Anomalies matcher: anomaly types, with score floors per type or for all."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, ClassVar

from pydantic import (
    BeforeValidator,
    PrivateAttr,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from router.model import canonical_anomaly, label_key
from router.rules.base import StrictModel, yaml_kind
from router.rules.context import MatchContext
from router.rules.matchers.base import (
    Compiled,
    IndexKey,
    Matcher,
    Names,
    shorthand,
    show,
)


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
        return shorthand(value, ("any", "all", "none", "min_score"))

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


