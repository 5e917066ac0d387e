"""Lifecycle hooks of rules.yaml: ``inhibit_rules``, and matchers for silences.

An inhibition rule mutes *target* camera events while a *source* condition is
active on a camera whose ``equal`` fields have the same values (Alertmanager's
``source_matchers`` / ``target_matchers`` / ``equal``). ``min_fraction`` makes
the source a share of cameras ("most of the site is offline"), and ``routes``
limits the muting to some routes, so a site-wide route can still speak for
the site while the per-camera routes go quiet.

Silences and inhibition rules use the matchers of routes (``MatchSpec``); the
``time`` matcher is left out: a silence has its own start and end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from router.errors import MatchError
from router.model import CameraEvent
from router.rules.conditions import NotMatcher, compile_conditions
from router.rules.context import MatchContext
from router.rules.matchers import Matcher
from router.rules.models import Conditions, InhibitRuleSpec, MatchSpec, Rules, RulesSpec


@dataclass(frozen=True)
class InhibitRule:
    name: str
    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...] = ()
    min_fraction: float | None = None
    below_fraction: float | None = None
    routes: frozenset[str] | None = None

    def applies_to(self, route: str) -> bool:
        return self.routes is None or route in self.routes


def _conditions(spec: Conditions) -> list[Matcher]:
    return compile_conditions(spec, _no_time)


def _no_time(_value: Any) -> Matcher:
    raise MatchError("'time' cannot be used here (a silence has starts_at/ends_at)")


def compile_match(spec: MatchSpec) -> tuple[Matcher, ...]:
    """A ``match:`` mapping -> matchers, exactly as routes compile theirs."""
    found = _conditions(spec)
    if spec.not_ is not None:
        found += [NotMatcher(m) for m in _conditions(spec.not_)]
    return tuple(found)


def parse_match(raw: Any) -> tuple[MatchSpec, tuple[Matcher, ...]]:
    """Validate a stored or submitted matcher mapping; MatchError with the first problem."""
    from pydantic import ValidationError

    try:
        spec = MatchSpec.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"]) or "matchers"
        raise MatchError(f"{where}: {err['msg']}") from None
    return spec, compile_match(spec)


def matches(matchers: Sequence[Matcher], event: CameraEvent, sites: Any = None,
            now: datetime | None = None) -> bool:
    ctx = MatchContext(event, now or datetime.now(UTC), sites or {})
    return all(m.check(ctx) is None for m in matchers)


def compile_inhibit_rules(specs: Sequence[InhibitRuleSpec]) -> tuple[InhibitRule, ...]:
    """``inhibit_rules:`` -> runtime rules (the builder calls this once per load)."""
    return tuple(
        InhibitRule(
            name=spec.name or f"inhibit_rules[{i}]",
            source=compile_match(spec.source),
            target=compile_match(spec.target),
            equal=tuple(spec.equal),
            min_fraction=spec.min_fraction,
            below_fraction=spec.below_fraction,
            routes=frozenset(spec.routes) if spec.routes is not None else None,
        )
        for i, spec in enumerate(specs)
    )


def with_inhibition_and_fallbacks(rules: Rules, spec: RulesSpec) -> Rules:
    """``rules`` with the delivery and muting keys of ``spec``: receivers' ``fallback`` and
    ``rate_limit``, and the compiled ``inhibit_rules`` (called by the rules builder)."""
    receivers = {
        name: replace(r, fallback=spec.receivers[name].fallback,
                      rate_limit=spec.receivers[name].rate_limit)
        if name in spec.receivers else r
        for name, r in rules.receivers.items()
    }
    return replace(rules, receivers=receivers,
                   inhibit_rules=compile_inhibit_rules(spec.inhibit_rules))
