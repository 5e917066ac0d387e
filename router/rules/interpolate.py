"""``${VAR}`` and ``${VAR:-default}`` in rules.yaml string values.

Secrets reach rules.yaml this way, so nothing here ever puts a variable's
*value* in a message: problems name the variable only.

- ``${NAME}``: the environment value; undefined is a problem.
- ``${NAME:-text}``: the value, or ``text`` when NAME is unset or empty (as in
  POSIX shells and docker compose). ``text`` is literal: no nested ``${}``.
- ``$${``: a literal ``${``. Any other ``$`` is literal.

Only values are interpolated, never mapping keys.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from router.rules.yamlpos import Loc

_REFERENCE = re.compile(r"\$\$\{|\$\{(?P<body>[^}]*)(?P<close>\})?")
_BODY = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>.*))?", re.DOTALL)


@dataclass(frozen=True)
class Expansion:
    """One string after interpolation: its value, the variables named, the problems."""

    value: str
    variables: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


def expand(text: str, environ: Mapping[str, str]) -> Expansion:
    """Interpolate one string."""
    variables: list[str] = []
    problems: list[str] = []

    def replace(found: re.Match[str]) -> str:
        if found.group(0) == "$${":
            return "${"
        body = found.group("body")
        if found.group("close") is None:
            problems.append(
                "unterminated '${' (close it with '}', or write '$${' for a literal '${')"
            )
            return found.group(0)
        parsed = _BODY.fullmatch(body)
        if parsed is None:
            problems.append(
                f"invalid reference '${{{body}}}' (expected ${{NAME}} or ${{NAME:-default}}, "
                "NAME made of letters, digits and _)"
            )
            return found.group(0)
        name, default = parsed.group("name"), parsed.group("default")
        variables.append(name)
        value = environ.get(name)
        if value:
            return value
        if default is not None:
            return default
        if value is None:
            problems.append(
                f"undefined variable ${{{name}}} "
                f"(set it in the environment, or give a default: ${{{name}:-...}})"
            )
            return found.group(0)
        return value

    value = _REFERENCE.sub(replace, text)
    return Expansion(value, tuple(dict.fromkeys(variables)), tuple(problems))


@dataclass
class Interpolated:
    """A whole document after interpolation."""

    tree: Any
    variables: dict[Loc, tuple[str, ...]] = field(default_factory=dict)
    """Locations whose value may come from the environment: never print those values."""
    problems: dict[Loc, tuple[str, ...]] = field(default_factory=dict)


def interpolate_tree(tree: Any, environ: Mapping[str, str]) -> Interpolated:
    """Interpolate every string value of a plain YAML tree (before validation)."""
    result = Interpolated(tree=None)
    result.tree = _walk(tree, (), environ, result)
    return result


def _walk(node: Any, loc: Loc, environ: Mapping[str, str], result: Interpolated) -> Any:
    if isinstance(node, dict):
        return {k: _walk(v, (*loc, k), environ, result) for k, v in node.items()}
    if isinstance(node, list):
        return [_walk(v, (*loc, i), environ, result) for i, v in enumerate(node)]
    if not isinstance(node, str) or "$" not in node:
        return node
    expansion = expand(node, environ)
    if expansion.variables:
        result.variables[loc] = expansion.variables
    if expansion.problems:
        result.problems[loc] = expansion.problems
    return expansion.value
