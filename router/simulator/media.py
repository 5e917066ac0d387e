"""Serves the snapshot and reference images whose URLs the API hands out.

Upstream these live on public storage: no token and no rate limit, so none here.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from .context import sim

bp = Blueprint("media", __name__, url_prefix="/media")


@bp.get("/<path:path>")
def media(path: str) -> Response:
    state = sim().state
    with state.lock:
        found = state.media.get(path)
    if found is None:
        response = jsonify({"detail": "Not found."})
        response.status_code = 404
        return response
    data, content_type = found
    return Response(data, content_type=content_type,
                    headers={"Cache-Control": "public, max-age=86400"})
