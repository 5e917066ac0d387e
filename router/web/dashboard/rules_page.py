"""``/rules``: the route tree as an outline, the receivers, and an explain form."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import render_template, request

from router.errors import RouterError
from router.pipeline.explain import build_events, explain, parse_at
from router.receive.sample import SAMPLE_WEBHOOK
from router.web.api.rules import describe_rules
from router.web.dashboard import bp
from router.web.dashboard import session as login


@bp.get("/rules")
@login.login_required
def rules() -> str:
    return _page(payload=json.dumps(SAMPLE_WEBHOOK, indent=2), enrichment="", at="")


@bp.post("/rules/explain")
@login.login_required
def explain_form() -> tuple[str, int]:
    form = {k: request.form.get(k, "") for k in ("payload", "enrichment", "at")}
    try:
        result = _explain(**form)
    except (RouterError, ValueError) as exc:
        return _page(**form, error=str(exc)), 400
    return _page(**form, result=result), 200


def _explain(payload: str, enrichment: str, at: str) -> dict[str, Any]:
    rt = login.rt()
    if rt.rules.current is None:
        raise ValueError("no rules are loaded")
    events = build_events(_json("payload", payload), _json("enrichment", enrichment) or None)
    now = parse_at(at) if at.strip() else datetime.fromtimestamp(rt.clock.now(), UTC)
    return explain(rt.rules.current, events, now, rt.settings.external_url)


def _json(name: str, text: str) -> Any:
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{name} is not valid JSON: {exc.msg} at line {exc.lineno} "
                         f"column {exc.colno}") from None


def _page(**context: Any) -> str:
    return render_template("rules.html", r=describe_rules(login.rt().rules), **context)
