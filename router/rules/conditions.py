"""Compiled matchers that need more than their own spec: ``enriched``, ``when``,
``time`` (named intervals, the route's timezone) and ``not`` (wraps the others)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jinja2.exceptions import SecurityError

from router.rules.context import MatchContext
from router.rules.matchers import IndexKey, Matcher
from router.rules.sandbox import Expression, compile_when
from router.rules.timewin import Window

if TYPE_CHECKING:
    from router.rules.models import Conditions


@dataclass(frozen=True)
class EnrichedMatcher:
    """Whether the event was enriched from the VisionAlert API."""

    value: bool

    def holds(self, ctx: MatchContext) -> bool:
        return ctx.event.enriched is self.value

    def check(self, ctx: MatchContext) -> str | None:
        if ctx.event.enriched is self.value:
            return None
        return f"enriched: {str(ctx.event.enriched).lower()}, expected {str(self.value).lower()}"

    def describe(self) -> str:
        return f"enriched {str(self.value).lower()}"

    def index_key(self) -> IndexKey | None:
        return None


@dataclass(frozen=True)
class WhenMatcher:
    """A sandboxed Jinja2 expression; an error while evaluating it is a non-match."""

    source: str
    expression: Expression

    def holds(self, ctx: MatchContext) -> bool:
        try:
            return bool(self.expression(ctx.variables()))
        except Exception:
            return False  # check() says why

    def check(self, ctx: MatchContext) -> str | None:
        try:
            result = self.expression(ctx.variables())
        except SecurityError as exc:
            return f"when: stopped by the sandbox (security): {exc}"
        except Exception as exc:
            # Undefined names, type errors: the route does not match, and says why.
            return f"when: {self.source!r} failed: {type(exc).__name__}: {exc}"
        return None if result else f"when: {self.source!r} is false"

    def describe(self) -> str:
        return f"when {self.source!r}"

    def index_key(self) -> IndexKey | None:
        return None


@dataclass(frozen=True)
class TimeMatcher:
    """Any of some windows, in the window's zone, else the site's, else the route's, else UTC."""

    windows: tuple[Window, ...]
    route_timezone: str | None

    def holds(self, ctx: MatchContext) -> bool:
        site = ctx.site_timezone
        return any(w.contains(ctx.local(w.timezone or site or self.route_timezone))
                   for w in self.windows)

    def check(self, ctx: MatchContext) -> str | None:
        if self.holds(ctx):
            return None
        site = ctx.site_timezone
        zones = {w.timezone or site or self.route_timezone or "UTC" for w in self.windows}
        when = ", ".join(ctx.local(None if z == "UTC" else z).strftime(f"%a %H:%M {z}")
                         for z in sorted(zones))
        return f"time: {when} is outside {self._written()}"

    def describe(self) -> str:
        return f"time {self._written()}"

    def _written(self) -> str:
        # A named interval of several windows is written once.
        return " or ".join(dict.fromkeys(w.written for w in self.windows))

    def index_key(self) -> IndexKey | None:
        return None


@dataclass(frozen=True)
class NotMatcher:
    """Holds when the wrapped matcher does not."""

    inner: Matcher

    def holds(self, ctx: MatchContext) -> bool:
        return not self.inner.holds(ctx)

    def check(self, ctx: MatchContext) -> str | None:
        if self.inner.check(ctx) is None:
            return f"not: {self.inner.describe()} holds"
        return None

    def describe(self) -> str:
        return f"not {self.inner.describe()}"

    def index_key(self) -> IndexKey | None:
        return None


def compile_conditions(spec: Conditions, on_time: Callable[[Any], Matcher]) -> list[Matcher]:
    """The matchers of a ``match:`` (or ``not:``) block, in the order written.

    ``time`` depends on where the block stands (a route's timezone and named
    intervals; silences and inhibitions have none), so the caller compiles it.
    """
    found: list[Matcher] = []
    for key in spec.given():
        value = getattr(spec, key)
        if key == "enriched":
            found.append(EnrichedMatcher(value))
        elif key == "when":
            found.append(WhenMatcher(value, compile_when(value)))
        elif key == "time":
            found.append(on_time(value))
        else:
            found.append(value.compile(None))
    return found
