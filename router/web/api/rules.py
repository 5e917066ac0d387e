"""``/api/v1/rules``: the rules in force (route tree, receivers, reload status) and a
dry-run validation of a posted rules file.

Target URLs appear only in Apprise's privacy form, and the file's text is not
returned: operators sometimes write a secret literally instead of ``${ENV}``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from flask import Response, jsonify, request

from router.errors import RulesError
from router.pipeline.deliver import privacy_url
from router.rules import Route, RouteOptions, Rules, load_rules
from router.rules.holder import RulesHolder
from router.web.api import bp, require_admin, runtime
from router.web.api.pagination import isoify
from router.web.errors import error_response

POSTED_NAME = "posted rules"


def reload_status(holder: RulesHolder) -> dict[str, Any]:
    """What the last (re)load did."""
    return {
        "loaded": holder.current is not None,
        "last_reload_successful": holder.last_reload_successful,
        "last_success_at": holder.last_success_time,
        "last_error": holder.last_error or holder.error,
    }


def describe_rules(holder: RulesHolder) -> dict[str, Any]:
    """The current rules as JSON: source, reload status, route tree, receivers."""
    rules = holder.current
    body: dict[str, Any] = {"source": {"path": holder.path, "digest": None},
                            "reload": reload_status(holder), "routes": [], "receivers": []}
    if rules is not None:
        body["source"] = {"path": str(rules.source), "digest": rules.digest}
        body["routes"] = [_route(r) for r in rules.routes]
        body["receivers"] = _receivers(rules)
    return body


def _route(route: Route) -> dict[str, Any]:
    return {
        "name": route.name,
        "match": [m.describe() for m in route.matchers] or ["catch-all"],
        "receivers": list(route.receivers),
        "continue": route.continue_,
        "options": _options(route.options),
        "routes": [_route(child) for child in route.routes],
    }


def _options(options: RouteOptions) -> dict[str, Any]:
    """The route's timing options that are plain values (the template by name)."""
    found = {k: v for k, v in asdict(options).items() if _plain(v)}
    if options.template is not None:
        found["template"] = options.template.name
    return {k: list(v) if isinstance(v, tuple) else v for k, v in found.items()}


def _plain(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return all(isinstance(v, str | int | float | bool) for v in value)
    return value is None or isinstance(value, str | int | float | bool)


def _receivers(rules: Rules) -> list[dict[str, Any]]:
    return [{"name": r.name,
             "targets": [privacy_url(u) for u in r.urls],
             "template": r.template.name if r.template is not None else None}
            for r in rules.receivers.values()]


@bp.get("/rules")
@require_admin
def get_rules() -> Response:
    return jsonify(isoify(describe_rules(runtime().rules)))


@bp.post("/rules/validate")
@require_admin
def validate_rules() -> Response | tuple[Response, int]:
    raw = request.get_data(cache=False)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return error_response(400, "rules file must be UTF-8 text")
    if not text.strip():
        return error_response(400, "post the rules file (YAML) as the request body")
    return jsonify(validate_text(text, Path(runtime().rules.path)))


def validate_text(text: str, live: Path) -> dict[str, Any]:
    """Load ``text`` as a rules file next to ``live`` (so relative template files resolve)."""
    with _scratch_file(text, live.parent) as path:
        try:
            rules = load_rules(path)
        except RulesError as exc:
            return {"valid": False, "problems": [_problem(p, path) for p in exc.problems]}
    return {"valid": True, "problems": [], "digest": rules.digest,
            "receivers": sorted(rules.receivers), "routes": len(rules.routes)}


def _problem(problem: Any, path: Path) -> dict[str, Any]:
    file = POSTED_NAME if str(problem.file) == str(path) else str(problem.file)
    message = str(problem.message).replace(str(path), POSTED_NAME)
    return {"file": file, "line": problem.line, "column": problem.column, "message": message,
            "text": f"{file}:{problem.line}:{problem.column}: {message}"}


@contextlib.contextmanager
def _scratch_file(text: str, near: Path) -> Iterator[Path]:
    """A private temporary file, in ``near`` when writable (read-only mounts: the temp dir)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".validate-", suffix=".yaml", dir=near)
    except OSError:
        fd, name = tempfile.mkstemp(prefix="rules-validate-", suffix=".yaml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        yield Path(name)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
