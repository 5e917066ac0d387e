"""The sandbox around operator-written Jinja2: templates and ``when`` expressions.

Two layers. At load time the syntax tree is searched for what reaches Python
internals (names or attributes starting with ``_``, and the names ``os``,
``sys``, ``config``, ``request``, ``self``): such a template or expression is a
*security* problem and never runs. At run time the immutable sandbox with
``StrictUndefined`` stops anything the static search cannot see (names built
from strings), raising ``SecurityError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.parser import Parser
from jinja2.sandbox import ImmutableSandboxedEnvironment

from router.errors import SandboxProblem

FORBIDDEN_NAMES = frozenset({"os", "sys", "config", "request", "self", "builtins",
                             "subprocess", "importlib", "globals", "locals", "vars"})

Expression = Callable[[Mapping[str, Any]], Any]




@cache
def environment() -> ImmutableSandboxedEnvironment:
    """The environment ``when`` expressions are compiled and evaluated in."""
    return ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def security_problem(tree: nodes.Node) -> str | None:
    """What in ``tree`` reaches for Python internals (``'os' is not allowed``), or None."""
    # find_all yields descendants only; an expression may be a single node.
    for node in (tree, *tree.find_all((nodes.Name, nodes.Getattr, nodes.Const))):
        reason = _unsafe(node)
        if reason is not None:
            return reason
    return None


def _unsafe(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Name):
        if node.name in FORBIDDEN_NAMES:
            return f"{node.name!r} is not allowed"
        if node.name.startswith("_"):
            return f"names starting with '_' are not allowed ({node.name!r})"
    elif isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
        return f"attribute {node.attr!r} is not allowed (it reaches Python internals)"
    elif isinstance(node, nodes.Const) and isinstance(node.value, str) \
            and node.value.startswith("__"):
        return f"the string {node.value!r} is not allowed (it names a Python internal)"
    return None


def check_template_source(source: str) -> None:
    """Raise ``SandboxProblem`` for a syntax error or a security problem in a template."""
    env = environment()
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        raise SandboxProblem("Jinja2 template", exc.message or "syntax error",
                             exc.lineno) from None
    found = security_problem(tree)
    if found is not None:
        raise SandboxProblem("Jinja2 template", found, security=True)


def compile_when(source: str) -> Expression:
    """Compile a ``when`` expression; raise ``SandboxProblem`` if it is unusable."""
    env = environment()
    try:
        parser = Parser(env, source, state="variable")
        tree = parser.parse_expression()
        if not parser.stream.eos:
            parser.fail("unexpected text after the expression")
    except TemplateSyntaxError as exc:
        raise SandboxProblem("expression", exc.message or "syntax error") from None
    found = security_problem(tree)
    if found is not None:
        raise SandboxProblem("expression", found, security=True)
    compiled = env.compile_expression(source, undefined_to_none=False)

    def evaluate(context: Mapping[str, Any]) -> Any:
        return compiled(**context)

    return evaluate
