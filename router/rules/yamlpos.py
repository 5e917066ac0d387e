"""Read YAML into plain Python values while remembering where each node was written.

pydantic validates plain dicts and lists; ruamel.yaml's round-trip loader knows
the line and column of every key and value. ``Document`` keeps both, so that a
problem found at ``('routes', 0, 'receivers', 1)`` can name ``file:line:col``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from router.errors import YamlSyntaxError

Loc = tuple[str | int, ...]
"""A path into the document: mapping keys and list indexes, as pydantic spells ``loc``."""

Pos = tuple[int, int]
"""A 1-based (line, column)."""

_START: Pos = (1, 1)
_DUPLICATE_KEY = re.compile(r'found duplicate key "(?P<key>.*?)" with value')


def dotted(loc: Loc) -> str:
    """``('routes', 0, 'match')`` -> ``routes[0].match``: how problems name a place."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "top level"


@dataclass(frozen=True)
class Document:
    """A YAML document as plain values, with the positions of its keys and values."""

    tree: Any
    keys: dict[Loc, Pos] = field(default_factory=dict)
    values: dict[Loc, Pos] = field(default_factory=dict)

    def value_pos(self, loc: Loc) -> Pos:
        """Where the value at ``loc`` starts, or its nearest written ancestor."""
        for end in range(len(loc), -1, -1):
            pos = self.values.get(loc[:end])
            if pos is not None:
                return pos
        return _START

    def key_pos(self, loc: Loc) -> Pos:
        """Where the key of ``loc`` is written (for 'unknown key' problems)."""
        return self.keys.get(loc) or self.value_pos(loc)


def parse_yaml(text: str) -> Document:
    """Parse one YAML document; raises ``YamlSyntaxError`` with the position."""
    try:
        data = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else _START
        raise YamlSyntaxError(_syntax_message(exc), line, column) from None
    except YAMLError as exc:
        raise YamlSyntaxError(f"YAML syntax error: {exc}", *_START) from None
    doc = Document(tree=None, values={(): _START})
    tree = _convert(data, (), doc)
    return Document(tree=tree, keys=doc.keys, values=doc.values)


def _syntax_message(exc: MarkedYAMLError) -> str:
    # Only ruamel's short problem text: its full str() quotes the offending
    # line, which may hold a literal password.
    if isinstance(exc, DuplicateKeyError):
        found = _DUPLICATE_KEY.search(str(exc.problem))
        key = found.group("key") if found else "?"
        return f"duplicate key {key!r} (a key may appear only once in a mapping)"
    text = f"YAML syntax error: {exc.problem}"
    if not exc.context:
        return text
    # The real mistake is often where the construct began (an unclosed '{'),
    # lines before the place where the parser gave up.
    start = exc.context_mark
    problem = exc.problem_mark
    if start is not None and (problem is None or start.line != problem.line):
        return f"{text} ({exc.context} started at line {start.line + 1})"
    return f"{text} ({exc.context})"


def _pos(lc_pos: Any) -> Pos | None:
    if lc_pos is None:
        return None
    line, column = lc_pos
    return (int(line) + 1, int(column) + 1)


def _convert(node: Any, loc: Loc, doc: Document) -> Any:
    """ruamel nodes -> dict/list/str/int/float/bool, recording positions on the way."""
    if isinstance(node, CommentedMap):
        return _convert_map(node, loc, doc)
    if isinstance(node, CommentedSeq):
        out_list: list[Any] = []
        for i, item in enumerate(node):
            pos = _lookup(node.lc.item, i)
            if pos is not None:
                doc.values[(*loc, i)] = pos
            out_list.append(_convert(item, (*loc, i), doc))
        return out_list
    return _scalar(node)


def _convert_map(node: CommentedMap, loc: Loc, doc: Document) -> dict[str, Any]:
    if loc == ():
        doc.values[()] = (node.lc.line + 1, node.lc.col + 1)
    out: dict[str, Any] = {}
    for raw_key, value in node.items():
        # Keys are names in rules.yaml; `1:` or `true:` is read as that text.
        key = raw_key if isinstance(raw_key, str) else str(raw_key)
        child = (*loc, key)
        key_pos = _lookup(node.lc.key, raw_key)
        value_pos = _lookup(node.lc.value, raw_key)
        if key_pos is not None:
            doc.keys[child] = key_pos
        if value is None:
            # `noc:` with nothing after it: ruamel places the null at the next
            # token, often the next line; the key is where the user looks.
            value_pos = key_pos
        if value_pos is not None:
            doc.values[child] = value_pos
        out[key] = _convert(value, child, doc)
    return out


def _lookup(getter: Any, index: Any) -> Pos | None:
    # Keys brought in by a `<<:` merge have no position of their own.
    try:
        return _pos(getter(index))
    except (KeyError, IndexError, TypeError):
        return None


def _scalar(node: Any) -> Any:
    # ruamel wraps scalars in subclasses (ScalarInt, LiteralScalarString...);
    # plain types keep pydantic and equality checks simple. bool before int:
    # bool is an int.
    if node is None or isinstance(node, bool):
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node
