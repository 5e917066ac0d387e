"""``load_rules``: rules.yaml -> ``Rules``, or a ``RulesError`` listing every problem.

Steps: read bytes (digest) -> YAML with positions -> ``${VAR}`` interpolation ->
pydantic validation -> cross-references. Problems from all steps after YAML
parsing are collected and raised together, sorted by position, each as
``file:line:col: path: message`` with the line of the offending key or value.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from router.errors import Problem, RulesError, YamlSyntaxError
from router.rules.base import yaml_kind
from router.rules.build import Builder
from router.rules.crossref import CrossChecker
from router.rules.inhibit import with_inhibition_and_fallbacks
from router.rules.interpolate import Interpolated, interpolate_tree
from router.rules.models import Rules, RulesSpec
from router.rules.yamlpos import Document, Loc, Pos, dotted, parse_yaml

_EXPECTED = {
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "string_type": "a string",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
}
# Problems with a mapping as a whole: shown at its key, where the reader looks.
_WHOLE_MAPPING = {"no_targets", "template_and_text", "inline_and_file", "interval_and_window",
                  "empty_window"}
_TOP = "a mapping with 'receivers' and 'routes'"


def load_rules(path: str | Path, environ: Mapping[str, str] | None = None) -> Rules:
    """Load and validate a rules file; raises ``RulesError`` listing every problem."""
    source = Path(path)
    env = os.environ if environ is None else environ
    raw = _read(source)
    checker = _Checker(str(source), _parse(source, raw))
    interpolated = interpolate_tree(checker.doc.tree, env)
    spec = checker.validate(interpolated)
    checker.cross_check(interpolated)
    if checker.problems or spec is None:
        raise RulesError(_sorted(checker.problems))
    return _build(spec, source, hashlib.sha256(raw).hexdigest(), checker)


def _read(source: Path) -> bytes:
    try:
        return source.read_bytes()
    except OSError as exc:
        message = f"cannot read rules file: {exc.strerror or type(exc).__name__}"
        raise RulesError([Problem(str(source), 1, 1, message)]) from None


def _parse(source: Path, raw: bytes) -> Document:
    file = str(source)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RulesError([Problem(file, line, 1, "not UTF-8 text")]) from None
    try:
        doc = parse_yaml(text)
    except YamlSyntaxError as exc:
        raise RulesError([Problem(file, exc.line, exc.column, exc.message)]) from None
    if doc.tree is None:
        raise RulesError([Problem(file, 1, 1, f"the file is empty: expected {_TOP}")])
    if not isinstance(doc.tree, dict):
        message = f"the top level must be {_TOP}, got {yaml_kind(doc.tree)}"
        raise RulesError([Problem(file, *doc.value_pos(()), message)])
    return doc


class _Checker:
    """Collects problems with positions for one file."""

    def __init__(self, file: str, doc: Document) -> None:
        self.file = file
        self.doc = doc
        self.problems: list[Problem] = []
        self.secret: dict[Loc, tuple[str, ...]] = {}

    def add(self, pos: Pos, loc: Loc, message: str) -> None:
        self.problems.append(Problem(self.file, pos[0], pos[1], f"{dotted(loc)}: {message}"))

    def shown(self, loc: Loc, value: str) -> str:
        """``'value'``, unless it came from the environment: then the variable names."""
        names = self.secret.get(loc)
        if names:
            return "<value of " + ", ".join(f"${{{n}}}" for n in names) + ">"
        return repr(value)

    def validate(self, interpolated: Interpolated) -> RulesSpec | None:
        self.secret = interpolated.variables
        for loc, messages in interpolated.problems.items():
            for message in messages:
                self.add(self.doc.value_pos(loc), loc, message)
        try:
            return RulesSpec.model_validate(interpolated.tree)
        except ValidationError as exc:
            for error in exc.errors(include_url=False, include_input=True):
                self._pydantic_problem(error, interpolated)
            return None

    def _pydantic_problem(self, error: ErrorDetails, interpolated: Interpolated) -> None:
        loc = _document_loc(interpolated.tree, error["loc"])
        if any(loc[: len(bad)] == bad for bad in interpolated.problems):
            return  # already reported as an interpolation problem
        kind = error["type"]
        if kind == "extra_forbidden":
            parent, key = loc[:-1], str(loc[-1])
            self.add(self.doc.key_pos(loc), parent, f"unknown key {key!r}{_hint(key, parent)}")
        elif kind == "missing":
            parent = loc[:-1]
            # At the parent's key (`noc:`), not at its first child's.
            self.add(self.doc.key_pos(parent), parent, f"missing required key {loc[-1]!r}")
        elif kind in _WHOLE_MAPPING:
            self.add(self.doc.key_pos(loc), loc, self._redacted(loc, error))
        elif kind in _EXPECTED:
            got = yaml_kind(error.get("input"))
            self.add(self.doc.value_pos(loc), loc, f"expected {_EXPECTED[kind]}, got {got}")
        else:
            self.add(self.doc.value_pos(loc), loc, self._redacted(loc, error))

    def _redacted(self, loc: Loc, error: ErrorDetails) -> str:
        # pydantic's own messages never quote the input; ours may (ctx value or
        # detail), which must not show an interpolated secret.
        message = error["msg"]
        ctx = error.get("ctx") or {}
        if loc in self.secret:
            hidden = self.shown(loc, "")
            if "value" in ctx:
                message = message.replace(str(ctx["value"]), hidden)
            if "detail" in ctx:
                message = message.replace(str(ctx["detail"]), f"details hidden, it uses {hidden}")
        return message

    def cross_check(self, interpolated: Interpolated) -> None:
        """Names and references; works on partly invalid files."""
        tree = interpolated.tree
        CrossChecker(tree, self.add, self.shown, self.doc.value_pos).run()

    def at(self, loc: Loc, message: str) -> None:
        """A problem found after validation (files named by the rules)."""
        self.add(self.doc.value_pos(loc), loc, message)


def _document_loc(tree: Any, loc: tuple[int | str, ...]) -> Loc:
    """pydantic's loc -> the path as written in the file.

    The shorthand ``tags: [a]`` is validated as ``tags: {any: [a]}``, so pydantic
    reports ``tags.any[0]``; the key it added is dropped here.
    """
    out: list[str | int] = []
    node = tree
    for part in loc:
        if isinstance(node, str | int | float | bool):
            break  # `camera: x` is validated as `camera: {any: [x]}`
        if isinstance(node, list) and isinstance(part, str):
            continue
        if isinstance(node, dict) and isinstance(part, int):
            continue  # `time: {days: [...]}` is validated as a list of one window
        out.append(part)
        node = _child(node, part)
    return tuple(out)


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _hint(key: str, parent: Loc) -> str:
    known = _known_keys(parent)
    if not known:
        return ""
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (allowed: {', '.join(known)})"


def _known_keys(loc: Loc) -> list[str]:
    """The keys the model at ``loc`` accepts, found by walking the spec's annotations."""
    node: Any = RulesSpec
    for part in loc:
        node = _unwrap(node)
        if isinstance(node, type) and issubclass(node, BaseModel):
            fields = {f.alias or name: f for name, f in node.model_fields.items()}
            if part not in fields:
                return []
            node = fields[str(part)].annotation
        elif get_origin(node) in (list, tuple):
            node = get_args(node)[0]
        elif get_origin(node) is dict:
            node = get_args(node)[1]
        else:
            return []
    node = _unwrap(node)
    if isinstance(node, type) and issubclass(node, BaseModel):
        return [f.alias or name for name, f in node.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    """``X | None`` -> ``X``; ``Annotated[X, ...]`` -> ``X``."""
    while True:
        if hasattr(annotation, "__metadata__"):
            annotation = annotation.__origin__
        elif get_origin(annotation) in (Union, types.UnionType):
            options = [a for a in get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def _build(spec: RulesSpec, source: Path, digest: str, checker: _Checker) -> Rules:
    built = Builder(spec, source.parent, checker.at).build()
    if checker.problems:
        raise RulesError(_sorted(checker.problems))
    positions = {dotted(loc): pos for loc, pos in checker.doc.values.items()}
    rules = Rules(receivers=built.receivers, routes=built.routes, source=source, digest=digest,
                  positions=positions, templates=built.templates, sites=built.sites,
                  defaults=built.defaults, files=(source, *dict.fromkeys(built.files)))
    return with_inhibition_and_fallbacks(rules, spec)


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(set(problems), key=lambda p: (p.line, p.column, p.message))
