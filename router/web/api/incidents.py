"""``/api/v1/incidents``: camera problems from first event to resolution, and acknowledging.

    GET  /api/v1/incidents?state=open|acknowledged|resolved&license=&tag=&camera=&start=&end=
    GET  /api/v1/incidents/<id>        the incident with its timeline (oldest first)
    POST /api/v1/incidents/<id>/ack    {"by": "...", "comment": "..."} (both optional)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, jsonify, request

from router.clock import iso
from router.errors import IncidentNotFound, QueryError, Refused
from router.pipeline.acknowledge import acknowledge
from router.store import views
from router.web.api import bp, require_admin, runtime
from router.web.api.pagination import envelope, isoify, page_request, time_range, window
from router.web.errors import error_response

STATES = views.INCIDENT_STATES
ACK_FIELDS = ("by", "comment")


def incident_filter(args: Mapping[str, str]) -> dict[str, Any]:
    """Query arguments -> list_incidents keywords; raises QueryError naming the bad one."""
    state = (args.get("state") or "").strip().lower() or None
    if state is not None and state not in STATES:
        raise QueryError("state", f"unknown state {args['state']!r}: use one of "
                                  f"{', '.join(STATES)}")
    span = time_range(args)
    return {"state": state, "license": args.get("license") or None,
            "tag": args.get("tag") or None, "camera": args.get("camera") or None,
            "start": span.start, "end": span.end}


def incident_json(row: dict[str, Any]) -> dict[str, Any]:
    """Times in ISO 8601 (timeline lines too)."""
    out: dict[str, Any] = isoify(row)
    if "timeline" in row:
        out["timeline"] = [{**isoify(line), "at": iso(line["at"])} for line in row["timeline"]]
    return out


@bp.get("/incidents")
@require_admin
def list_incidents() -> Response | tuple[Response, int]:
    try:
        flt = incident_filter(request.args)
        page_req = page_request(request.args)
    except QueryError as exc:
        return error_response(400, str(exc), param=exc.param)
    rt = runtime()
    with rt.db.read() as conn:
        page = views.list_incidents(conn, window=window(page_req), now=rt.clock.now(), **flt)
    return jsonify(envelope(page, request.url))


@bp.get("/incidents/<int(max=9223372036854775807):incident_id>")
@require_admin
def get_incident(incident_id: int) -> Response | tuple[Response, int]:
    rt = runtime()
    with rt.db.read() as conn:
        detail = views.incident_detail(conn, incident_id, now=rt.clock.now())
    if detail is None:
        return error_response(404, f"no incident {incident_id}", incident_id=incident_id)
    return jsonify(incident_json(detail))


def _ack_body() -> dict[str, str]:
    """The optional ``by``/``comment`` strings; ValueError says what is wrong."""
    if not request.get_data(cache=True):
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object with optional strings by and comment")
    unknown = sorted(set(body) - set(ACK_FIELDS))
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(unknown)}")
    for name in ACK_FIELDS:
        if name in body and not isinstance(body[name], str):
            raise ValueError(f"{name}: must be a string")
    return {k: body[k] for k in ACK_FIELDS if k in body}


@bp.post("/incidents/<int(max=9223372036854775807):incident_id>/ack")
@require_admin
def ack_incident(incident_id: int) -> Response | tuple[Response, int]:
    try:
        fields = _ack_body()
    except ValueError as exc:
        return error_response(400, str(exc))
    rt = runtime()
    try:
        done = acknowledge(rt, incident_id, by=fields.get("by", ""),
                           comment=fields.get("comment", ""))
    except IncidentNotFound as exc:
        return error_response(404, str(exc), incident_id=incident_id)
    except Refused as exc:
        return error_response(409, str(exc), incident_id=incident_id)
    with rt.db.read() as conn:
        detail = views.incident_detail(conn, incident_id, now=rt.clock.now())
    if detail is None:  # deleted in between: nothing left to show
        return error_response(404, f"no incident {incident_id}", incident_id=incident_id)
    return jsonify({**incident_json(detail), "already": done.already, "told": done.told})
