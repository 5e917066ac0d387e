"""``/api/v1/silences``: create, list, show and expire silences (admin token).

    POST /api/v1/silences  {"matchers": {"status": ["offline"], "tags": ["site-a"]},
                            "ends_at": "2026-11-25T18:00:00Z" | "duration": "2h",
                            "starts_at": (default now), "author": "...", "comment": "..."}
    GET /api/v1/silences?state=active|pending|expired|all
    GET /api/v1/silences/<id>      DELETE /api/v1/silences/<id>  (expire now)

``matchers`` are the matchers of a route's ``match:`` (``time`` excepted).
"""

from __future__ import annotations

from typing import Any

from flask import request

from router.clock import iso, parse_span, parse_time
from router.errors import MatchError, SilenceNotFound, TimeInputError
from router.pipeline.flush import silence as silencing
from router.store import silences as store
from router.web.api import bp, require_admin, runtime
from router.web.errors import error_response

STATES = ("active", "pending", "expired", "all")


def silence_json(row: store.SilenceRow, now: float) -> dict[str, Any]:
    return {"id": row.id, "state": row.state(now), "matchers": row.matchers,
            "starts_at": iso(row.starts_at), "ends_at": iso(row.ends_at),
            "author": row.author, "comment": row.comment,
            "created_at": iso(row.created_at), "updated_at": iso(row.updated_at)}


@bp.get("/silences")
@require_admin
def list_silences() -> Any:
    state = request.args.get("state", "all")
    if state not in STATES:
        return error_response(400, f"state must be one of {', '.join(STATES)}", field="state")
    rt = runtime()
    now = rt.clock.now()
    return {"silences": [silence_json(r, now)
                         for r in store.list_all(rt.db, now=now, state=state)]}


@bp.post("/silences")
@require_admin
def create_silence() -> Any:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error_response(400, "expected a JSON object with matchers, ends_at or duration, "
                                   "author and comment")
    rt = runtime()
    now = rt.clock.now()
    try:
        fields = _fields(body, now)
        row = silencing.create(rt.db, now=now, **fields)
    except (TimeInputError, MatchError) as exc:
        return error_response(400, str(exc))
    return silence_json(row, now), 201


def _fields(body: dict[str, Any], now: float) -> dict[str, Any]:
    unknown = set(body) - {"matchers", "starts_at", "ends_at", "duration", "author", "comment"}
    if unknown:
        raise TimeInputError(f"unknown field(s): {', '.join(sorted(unknown))}")
    for name in ("author", "comment"):
        if not isinstance(body.get(name), str) or not body[name].strip():
            raise TimeInputError(f"{name}: required, a non-empty string")
    if not isinstance(body.get("matchers"), dict) or not body["matchers"]:
        raise MatchError("matchers: required, a mapping like {\"status\": [\"offline\"]}")
    starts = parse_time(body["starts_at"], name="starts_at") if "starts_at" in body else now
    if ("ends_at" in body) == ("duration" in body):
        raise TimeInputError("give exactly one of ends_at and duration")
    ends = (parse_time(body["ends_at"], name="ends_at") if "ends_at" in body
            else starts + parse_span(body["duration"], name="duration"))
    return {"matchers": body["matchers"], "starts_at": starts, "ends_at": ends,
            "author": body["author"].strip(), "comment": body["comment"].strip()}


@bp.get("/silences/<int(max=9223372036854775807):silence_id>")
@require_admin
def show_silence(silence_id: int) -> Any:
    rt = runtime()
    try:
        return silence_json(store.get(rt.db, silence_id), rt.clock.now())
    except SilenceNotFound as exc:
        return error_response(404, str(exc), id=silence_id)


@bp.delete("/silences/<int(max=9223372036854775807):silence_id>")
@require_admin
def expire_silence(silence_id: int) -> Any:
    rt = runtime()
    now = rt.clock.now()
    try:
        return silence_json(store.expire(rt.db, silence_id, now=now), now)
    except SilenceNotFound as exc:
        return error_response(404, str(exc), id=silence_id)



