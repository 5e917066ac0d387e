"""``/api/v1/deliveries``: deliveries by state (dead letters), counted, and replayed.

    GET  /api/v1/deliveries?state=dead&limit=100&before=ID
    POST /api/v1/deliveries/<id>/replay
    POST /api/v1/deliveries/replay   {"ids": [1, 2]} | {"all_dead": true}

Targets appear only in their privacy form.
"""

from __future__ import annotations

from typing import Any

from flask import request

from router.store import deliveries as store
from router.timeinput import iso
from router.web.api import bp, require_admin, runtime
from router.web.errors import error_response

MAX_LIMIT = 1000


def delivery_json(view: store.DeliveryView) -> dict[str, Any]:
    d = view.to_dict()
    d["created_at"], d["finished_at"] = iso(view.created_at), iso(view.finished_at)
    return d


@bp.get("/deliveries")
@require_admin
def list_deliveries() -> Any:
    state = request.args.get("state")
    if state is not None and state not in store.STATES:
        return error_response(400, f"state must be one of {', '.join(store.STATES)}",
                              field="state")
    try:
        limit = int(request.args.get("limit", "100"))
        before = int(request.args["before"]) if "before" in request.args else None
    except ValueError:
        return error_response(400, "limit and before must be integers")
    if not 1 <= limit <= MAX_LIMIT:
        return error_response(400, f"limit must be from 1 to {MAX_LIMIT}", field="limit")
    db = runtime().db
    views = store.list_deliveries(db, state=state, limit=limit, before_id=before)
    return {"deliveries": [delivery_json(v) for v in views], "counts": store.counts(db)}


@bp.post("/deliveries/<int:delivery_id>/replay")
@require_admin
def replay_one(delivery_id: int) -> Any:
    rt = runtime()
    replayed = store.replay(rt.db, ids=[delivery_id], now=rt.clock.now())
    if not replayed:
        return error_response(409, f"delivery {delivery_id} is not a dead letter "
                                   "(only dead deliveries can be replayed)", id=delivery_id)
    return {"replayed": replayed}


@bp.post("/deliveries/replay")
@require_admin
def replay_many() -> Any:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not (body.get("all_dead") is True or (
            isinstance(body.get("ids"), list)
            and all(isinstance(i, int) and not isinstance(i, bool) for i in body["ids"]))):
        return error_response(400, 'expected {"ids": [1, 2]} or {"all_dead": true}')
    rt = runtime()
    replayed = store.replay(rt.db, ids=body.get("ids") or (),
                            all_dead=body.get("all_dead") is True, now=rt.clock.now())
    return {"replayed": replayed}
