"""``/api/v1/deliveries``: deliveries by state (dead letters), counted, and replayed.

    GET  /api/v1/deliveries?state=dead&page_size=50&cursor=...
    POST /api/v1/deliveries/<id>/replay
    POST /api/v1/deliveries/replay   {"ids": [1, 2]} | {"all_dead": true}

Targets appear only in their privacy form.
"""

from __future__ import annotations

from typing import Any

from flask import request

from router.errors import QueryError
from router.store import deliveries as store
from router.store import views
from router.web.api import bp, require_admin, runtime
from router.web.api.pagination import envelope, page_request, window
from router.web.errors import error_response

MAX_ID = 2**63 - 1  # larger ids cannot exist and would overflow the driver


LIST_STATES = (*store.STATES, "failing")  # failing: pending after a failed attempt


@bp.get("/deliveries")
@require_admin
def list_deliveries() -> Any:
    """Newest first, cursor-paged like the alerts (and the VisionAlert API)."""
    state = request.args.get("state") or None
    if state is not None and state not in LIST_STATES:
        return error_response(400, f"state must be one of {', '.join(LIST_STATES)}",
                              param="state")
    try:
        page_req = page_request(request.args)
    except QueryError as exc:
        return error_response(400, str(exc), param=exc.param)
    db = runtime().db
    with db.read() as conn:
        page = views.list_deliveries(conn, state, window(page_req))
    return {**envelope(page, request.url), "counts": store.counts(db)}


@bp.post("/deliveries/<int(max=9223372036854775807):delivery_id>/replay")
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
            and all(isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_ID
                    for i in body["ids"]))):
        return error_response(400, 'expected {"ids": [1, 2]} or {"all_dead": true}')
    rt = runtime()
    replayed = store.replay(rt.db, ids=body.get("ids") or (),
                            all_dead=body.get("all_dead") is True, now=rt.clock.now())
    return {"replayed": replayed}
