"""Cross-references of a rules file, checked on the raw tree so that they are found
even when other parts of the file are invalid: route names are unique across the
tree; receivers, templates and time intervals that are named exist; every route
has receivers (its own or a parent's); no route sits after a catch-all sibling.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from router.rules.yamlpos import Loc, Pos
from router.rules.yamlpos import dotted as _dotted

Add = Callable[[Pos, Loc, str], None]
Shown = Callable[[Loc, str], str]
Where = Callable[[Loc], Pos]


def undefined(kind: str, shown: str, name: str, defined: list[str]) -> str:
    """``undefined receiver 'noc2' (did you mean 'noc'? defined: noc, site-a)``."""
    if not defined:
        return f"undefined {kind} {shown} (no {kind}s are defined)"
    close = difflib.get_close_matches(name, defined, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"undefined {kind} {shown} ({hint}defined: {', '.join(defined)})"


def _names(tree: dict[str, Any], key: str) -> list[str] | None:
    section = tree.get(key)
    if section is None:
        return []
    return sorted(section) if isinstance(section, dict) else None


class CrossChecker:
    """One pass over the raw (interpolated) tree."""

    def __init__(self, tree: dict[str, Any], add: Add, shown: Shown, where: Where) -> None:
        self.tree = tree
        self.add = add
        self.shown = shown
        self.where = where
        self.receivers = _names(tree, "receivers")
        self.templates = _names(tree, "templates")
        self.intervals = _names(tree, "time_intervals")
        self.first_use: dict[str, str] = {}

    def run(self) -> None:
        receivers = self.tree.get("receivers")
        if isinstance(receivers, dict):
            for name, receiver in receivers.items():
                if isinstance(receiver, dict):
                    self._template_ref(receiver.get("template"), ("receivers", name, "template"))
                    self._fallbacks(name, receiver.get("fallback"))
        defaults = self.tree.get("defaults")
        if isinstance(defaults, dict):
            self._template_ref(defaults.get("template"), ("defaults", "template"))
        self._routes(self.tree.get("routes"), (), inherited=False)
        self._inhibit_routes(self.tree.get("inhibit_rules"))

    def _fallbacks(self, receiver: str, value: Any) -> None:
        if not isinstance(value, list):
            return
        for j, name in enumerate(value):
            at: Loc = ("receivers", receiver, "fallback", j)
            if name == receiver:
                self.add(self.where(at), at, f"receiver {self.shown(at, name)} cannot be "
                                             "its own fallback")
            else:
                self._ref("receiver", self.receivers, name, at)

    def _inhibit_routes(self, rules: Any) -> None:
        """Route names an inhibit rule is limited to must exist (a typo would never mute)."""
        if not isinstance(rules, list):
            return
        routes = sorted(self.first_use)
        for i, rule in enumerate(rules):
            names = rule.get("routes") if isinstance(rule, dict) else None
            if isinstance(names, list):
                for j, name in enumerate(names):
                    self._ref("route", routes, name, ("inhibit_rules", i, "routes", j))

    def _ref(self, kind: str, defined: list[str] | None, name: Any, loc: Loc) -> None:
        if defined is None or not isinstance(name, str) or name in defined:
            return
        self.add(self.where(loc), loc, undefined(kind, self.shown(loc, name), name, defined))

    def _template_ref(self, value: Any, loc: Loc) -> None:
        self._ref("template", self.templates, value, loc)

    def _routes(self, routes: Any, loc: Loc, inherited: bool) -> None:
        if not isinstance(routes, list):
            return
        catch_all: str | None = None
        for i, route in enumerate(routes):
            here: Loc = (*loc, "routes", i)
            if not isinstance(route, dict):
                continue
            if catch_all is not None:
                self.add(self.where(here), here,
                         f"unreachable: {catch_all} above it matches every event and does not "
                         "continue (move this route up, or give that one a match or "
                         "'continue: true')")
            self._route(route, here, inherited)
            if not route.get("match") and route.get("continue") is not True:
                catch_all = self._label(route, here)

    def _route(self, route: dict[str, Any], loc: Loc, inherited: bool) -> None:
        name = route.get("name", _dotted(loc))
        if isinstance(name, str):
            first = self.first_use.setdefault(name, _dotted(loc))
            if first != _dotted(loc):
                at: Loc = (*loc, "name")
                self.add(self.where(at), at, f"duplicate route name {self.shown(at, name)} "
                                             f"(first used by {first})")
        wanted = route.get("receivers")
        self._receivers(wanted, (*loc, "receivers"))
        has_receivers = inherited or wanted is not None
        if not has_receivers:
            self.add(self.where(loc), loc,
                     "no receivers: list them here or on a parent route")
        self._template_ref(route.get("template"), (*loc, "template"))
        match = route.get("match")
        if isinstance(match, dict):
            self._intervals(match.get("time"), (*loc, "match", "time"))
            negated = match.get("not")
            if isinstance(negated, dict):
                self._intervals(negated.get("time"), (*loc, "match", "not", "time"))
        self._routes(route.get("routes"), loc, inherited=True if has_receivers else inherited)

    def _intervals(self, value: Any, loc: Loc) -> None:
        if isinstance(value, str):
            self._ref("time interval", self.intervals, value, loc)
        elif isinstance(value, list):
            for i, entry in enumerate(value):
                self._ref("time interval", self.intervals, entry, (*loc, i))

    def _receivers(self, wanted: Any, loc: Loc) -> None:
        if not isinstance(wanted, list):
            return
        seen: set[str] = set()
        for j, name in enumerate(wanted):
            at: Loc = (*loc, j)
            if not isinstance(name, str):
                continue
            if self.receivers is not None and name not in self.receivers:
                self._ref("receiver", self.receivers, name, at)
            elif name in seen:
                self.add(self.where(at), at, f"receiver {self.shown(at, name)} is listed twice")
            seen.add(name)


    def _label(self, route: dict[str, Any], loc: Loc) -> str:
        name = route.get("name")
        if not isinstance(name, str):
            return _dotted(loc)
        return f"{_dotted(loc)} ({self.shown((*loc, 'name'), name)})"
