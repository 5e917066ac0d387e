"""``/api/v1/alerts``: received alerts, filtered and paged, and one alert in full."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response, jsonify, request

from router.errors import QueryError
from router.model import Status, canonical_anomaly, label_key
from router.store import views
from router.web.api import bp, require_admin, runtime
from router.web.api.pagination import (
    envelope,
    isoify,
    page_request,
    time_range,
    window,
)
from router.web.errors import error_response

STATUSES = tuple(s.value for s in Status)
MAX_ID = 2**63 - 1  # larger ids cannot exist and would overflow the driver


def alert_filter(args: Mapping[str, str]) -> views.AlertFilter:
    """Query arguments -> filter; raises QueryError naming the bad parameter."""
    span = time_range(args)
    return views.AlertFilter(
        license=args.get("license") or None,
        tag=args.get("tag") or None,
        status=_status(args.get("status")),
        anomaly=canonical_anomaly(args["anomaly"]) if args.get("anomaly") else None,
        start=span.start,
        end=span.end,
    )


def _status(raw: str | None) -> str | None:
    if not raw:
        return None
    key = label_key(raw).replace(" ", "_")
    if key not in STATUSES:
        raise QueryError("status", f"unknown status {raw!r}: use one of {', '.join(STATUSES)}")
    return key


@bp.get("/alerts")
@require_admin
def list_alerts() -> Response | tuple[Response, int]:
    try:
        flt = alert_filter(request.args)
        page_req = page_request(request.args)
    except QueryError as exc:
        return error_response(400, str(exc), param=exc.param)
    with runtime().db.read() as conn:
        page = views.list_alerts(conn, flt, window(page_req))
    return jsonify(envelope(page, request.url))


@bp.get("/alerts/<int:alert_id>")
@require_admin
def get_alert(alert_id: int) -> Response | tuple[Response, int]:
    detail = None
    if alert_id <= MAX_ID:
        with runtime().db.read() as conn:
            detail = views.alert_detail(conn, alert_id)
    if detail is None:
        return error_response(404, f"no alert {alert_id}", alert_id=alert_id)
    return jsonify(isoify(detail))
