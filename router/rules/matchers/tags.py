"""Tags matcher: a camera event's tags, exact or glob, any / all / none of them."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import (
    PrivateAttr,
    model_validator,
)
from pydantic_core import PydanticCustomError

from router.rules.base import StrictModel
from router.rules.context import MatchContext
from router.rules.matchers.base import (
    Compiled,
    IndexKey,
    Matcher,
    Names,
    Patterns,
    is_glob,
    literal_prefix,
    shorthand,
    show,
)


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
        return shorthand(value, ("any", "all", "none"))

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
        exact = [p for p in self.all or () if not is_glob(p)]
        if exact:
            return ("tag", frozenset(exact[:1]))
        # Globs with a literal start (`zone-3-*`): a tag must begin with one of them.
        prefixes = frozenset(literal_prefix(p) for p in self.any or ())
        return ("tag_prefix", prefixes) if prefixes and "" not in prefixes else None


