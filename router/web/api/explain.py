"""``POST /api/v1/explain``: what the rules in force would do with a webhook; sends nothing.

Body: ``{"payload": {...webhook...}, "enrichment": {serial: {...}}?, "at": ISO|epoch?}``.
The answer lists, per receiver reached, each target's ``messages`` entry: its channel
family and the message it would receive (router/pipeline/explain.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, jsonify, request

from router.errors import ExplainError, PayloadError
from router.pipeline.explain import build_events, explain, parse_at
from router.web.api import bp, require_admin, runtime
from router.web.errors import error_response

_KEYS = {"payload", "enrichment", "at"}


@bp.post("/explain")
@require_admin
def explain_payload() -> Response | tuple[Response, int]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "payload" not in body:
        return error_response(400, "expected a JSON object with 'payload' (the webhook body), "
                                   "optional 'enrichment' and 'at'", field="payload")
    unknown = sorted(set(body) - _KEYS)
    if unknown:
        return error_response(400, f"unknown key(s): {', '.join(unknown)} "
                                   f"(allowed: {', '.join(sorted(_KEYS))})", field=unknown[0])
    rt = runtime()
    if rt.rules.current is None:
        return error_response(503, f"no valid rules loaded: {rt.rules.error}")
    try:
        now = parse_at(body["at"]) if body.get("at") is not None else datetime.now(UTC)
        events = build_events(body["payload"], body.get("enrichment"))
    except PayloadError as exc:
        return error_response(400, f"payload: {exc}", field=f"payload.{exc.field or '$'}")
    except ExplainError as exc:
        return error_response(400, str(exc))
    return jsonify(explain(rt.rules.get(), events, now, rt.settings.external_url))
