"""Validated specs -> the runtime ``Rules``: the route tree with inherited options,
compiled matchers, resolved templates, and the files templates and targets come from.

Names were cross-checked before (crossref.py), so lookups here cannot miss; the
problems found here are about files (unreadable, not UTF-8, bad template text).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from router.rules.conditions import NotMatcher, TimeMatcher, compile_conditions
from router.rules.matchers import Matcher
from router.rules.models import (
    Conditions,
    MatchSpec,
    Receiver,
    ReceiverSpec,
    Route,
    RouteOptions,
    RouteSpec,
    RulesSpec,
    TimeEntry,
)
from router.rules.options import OptionsSpec
from router.rules.templates import TemplateSet, TemplateText
from router.rules.templatespec import TemplateSpec, build_template_set
from router.rules.timewin import Window
from router.rules.yamlpos import Loc, dotted

ProblemAt = Callable[[Loc, str], None]


@dataclasses.dataclass
class Built:
    receivers: dict[str, Receiver]
    routes: list[Route]
    templates: dict[str, TemplateSet]
    defaults: RouteOptions
    sites: dict[str, str]
    files: list[Path]


class Builder:
    """Builds once; ``problem`` receives every file problem with its location."""

    def __init__(self, spec: RulesSpec, base: Path, problem: ProblemAt) -> None:
        self.spec = spec
        self.base = base
        self.problem = problem
        self.files: list[Path] = []
        self.templates: dict[str, TemplateSet] = {}
        self.intervals: dict[str, tuple[Window, ...]] = {}

    def build(self) -> Built:
        spec = self.spec
        for name, t in (spec.templates or {}).items():
            self.templates[name] = self._template_set(name, t, ("templates", name))
        for name, windows in (spec.time_intervals or {}).items():
            self.intervals[name] = tuple(w.compile(name) for w in windows)
        receivers = {name: self._receiver(name, r) for name, r in spec.receivers.items()}
        defaults = self._options(spec.defaults, RouteOptions(), ("defaults",))
        routes = [self._route(r, (i,), defaults, ()) for i, r in enumerate(spec.routes)]
        return Built(receivers, routes, self.templates, defaults, dict(spec.sites or {}),
                     self.files)

    # ------------------------------------------------------------ templates

    def _template_set(self, name: str, spec: TemplateSpec, loc: Loc) -> TemplateSet:
        before = set(self.files)
        built = build_template_set(name, spec, loc, self.base, self.problem)
        self.files.extend(self._template_files(spec) - before)
        return built

    def _template_files(self, spec: TemplateSpec) -> set[Path]:
        found: set[Path] = set()
        for texts in (spec, spec.slack, spec.teams, spec.email, spec.sms, spec.generic):
            for part in ("title_file", "body_file", "html_file"):
                file = getattr(texts, part, None) if texts is not None else None
                if file is not None:
                    found.add(self.base / file)
        return found

    def _resolve(self, ref: str | TemplateSpec | None, loc: Loc, inline_name: str
                 ) -> TemplateSet | None:
        if ref is None:
            return None
        if isinstance(ref, str):
            return self.templates[ref]
        return self._template_set(inline_name, ref, loc)

    # ------------------------------------------------------------ receivers

    def _receiver(self, name: str, spec: ReceiverSpec) -> Receiver:
        loc: Loc = ("receivers", name)
        urls = tuple(spec.urls or ())
        if spec.urls_file is not None:
            urls += self._urls_file(spec.urls_file, (*loc, "urls_file"))
        template = self._resolve(spec.template, (*loc, "template"), name)
        if template is None and (spec.title is not None or spec.body is not None):
            template = TemplateSet(name=name, default=TemplateText(spec.title, spec.body))
        default = template.default if template is not None else TemplateText()
        return Receiver(name=name, urls=urls, title=default.title, body=default.body,
                        template=template)

    def _urls_file(self, file: str, loc: Loc) -> tuple[str, ...]:
        """One Apprise URL per line; blank lines and ``#`` comments are skipped."""
        path = self.base / file
        self.files.append(path)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            self.problem(loc, f"cannot read urls_file {file!r} (relative to the rules file): "
                              f"{reason}")
            return ()
        urls = tuple(s for s in (line.strip() for line in lines) if s and not s.startswith("#"))
        for n, url in enumerate(urls, 1):
            if "://" not in url:
                # Never quote the line: it is a secret.
                self.problem(loc, f"urls_file {file!r}: entry {n} is not an Apprise URL "
                                  "(expected scheme://...)")
        if not urls:
            self.problem(loc, f"urls_file {file!r} lists no URL (one per line)")
        return urls

    # ------------------------------------------------------------ routes

    def _options(self, spec: OptionsSpec | None, parent: RouteOptions, loc: Loc
                 ) -> RouteOptions:
        if spec is None:
            return parent
        changes = spec.given()
        ref = getattr(spec, "template", None)
        if ref is not None:
            changes["template"] = self._resolve(ref, (*loc, "template"), _path(loc))
        return dataclasses.replace(parent, **changes)

    def _route(self, spec: RouteSpec, index: tuple[int, ...], parent: RouteOptions,
               receivers: tuple[str, ...]) -> Route:
        loc: Loc = ()
        for i in index:
            loc = (*loc, "routes", i)
        options = self._options(spec, parent, loc)
        mine = spec.receivers or receivers
        children = tuple(self._route(child, (*index, j), options, mine)
                         for j, child in enumerate(spec.routes or ()))
        return Route(
            name=spec.name or _path(loc),
            receivers=mine,
            matchers=self._matchers(spec.match, options),
            continue_=spec.continue_,
            options=options,
            routes=children,
            path=_path(loc),
        )

    def _matchers(self, spec: MatchSpec | None, options: RouteOptions) -> tuple[Matcher, ...]:
        if spec is None:
            return ()
        found = self._conditions(spec, options)
        if spec.not_ is not None:
            found += tuple(NotMatcher(m) for m in self._conditions(spec.not_, options))
        return found

    def _conditions(self, spec: Conditions, options: RouteOptions) -> tuple[Matcher, ...]:
        return tuple(compile_conditions(
            spec, lambda value: TimeMatcher(self._windows(value), options.timezone)))

    def _windows(self, entries: tuple[TimeEntry, ...]) -> tuple[Window, ...]:
        windows: list[Window] = []
        for entry in entries:
            if entry.interval is not None:
                windows.extend(self.intervals[entry.interval])
            else:
                windows.append(entry.compile())
        return tuple(windows)


def _path(loc: Loc) -> str:
    return dotted(loc)
