"""Read-only pages: overview, alerts list, alert page, and the image proxy."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, render_template, request, url_for

from router.channels import links
from router.errors import ImageRefused, LinkError, QueryError
from router.store import views
from router.web import images
from router.web.api.alerts import alert_filter
from router.web.api.pagination import Cursor, page_request, window
from router.web.api.rules import reload_status
from router.web.dashboard import bp
from router.web.dashboard import session as login

KINDS = ("snapshot", "reference")
FILTERS = ("license", "tag", "status", "anomaly", "start", "end")


@bp.get("/")
@login.login_required
def overview() -> str:
    rt = login.rt()
    with rt.db.read() as conn:
        data = views.overview(conn, rt.clock.now())
    return render_template("overview.html", o=data, reload=reload_status(rt.rules),
                           rules_path=rt.rules.path)


@bp.get("/alerts")
@login.login_required
def alerts() -> tuple[str, int] | str:
    args = {k: request.args.get(k, "") for k in FILTERS}
    try:
        flt, req = alert_filter(request.args), page_request(request.args)
    except QueryError as exc:
        return render_template("alerts.html", args=args, page=None, error=str(exc)), 400
    with login.rt().db.read() as conn:
        page = views.list_alerts(conn, flt, window(req))
    return render_template("alerts.html", args=args, page=page, error=None,
                           next_url=_page_link(page.next_key, False),
                           previous_url=_page_link(page.previous_key, True))


def _page_link(key: tuple[float, int] | None, reverse: bool) -> str | None:
    if key is None:
        return None
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "cursor" and v}
    args["cursor"] = Cursor(key[0], key[1], reverse).encode()
    return url_for("dashboard.alerts", **args)


@bp.get("/alerts/<int:alert_id>")
@login.login_required
def alert(alert_id: int) -> str:
    return render_alert(alert_id, image_token=None)


def render_alert(alert_id: int, *, image_token: links.Signer | None, **extra: Any) -> str:
    """The alert page; a signed "open" link passes a signer so images carry tokens."""
    rt = login.rt()
    with rt.db.read() as conn:
        detail = views.alert_detail(conn, alert_id) if alert_id < 2**63 else None
    if detail is None:
        abort(404, description=f"There is no alert {alert_id}.")
    cameras = _cameras(detail)
    expires = rt.clock.now() + 3600
    for cam in cameras:
        cam["images"] = {kind: _image_url(alert_id, cam["index"], kind, image_token, expires)
                         for kind in KINDS}
    return render_template("alert.html", a=detail, cameras=cameras, now=rt.clock.now(),
                           readonly=image_token is not None, **extra)


def _cameras(detail: dict[str, Any]) -> list[dict[str, Any]]:
    """Camera events when routed; the webhook's cameras while the alert waits in the inbox."""
    if detail["camera_events"]:
        return [dict(e) for e in detail["camera_events"]]
    cams = detail["payload"].get("cameras") or []
    return [{"index": i, "serial": c.get("serial"), "name": c.get("name"),
             "license": detail["license"], "tags": c.get("tags") or [],
             "status": c.get("status"), "anomalies": dict.fromkeys(c.get("anomalies") or []),
             "snapshot_url": c.get("latest_image"), "reference_url": c.get("reference_image"),
             "enriched": False, "enrichment_note": "not routed yet", "decisions": []}
            for i, c in enumerate(cams)]


def _image_url(alert_id: int, idx: int, kind: str, sign: links.Signer | None,
               expires: float) -> str:
    params: dict[str, Any] = {}
    if sign is not None:
        params["t"] = sign.token(links.IMAGE, _image_subject(alert_id, idx, kind), expires)
    return url_for("dashboard.image", alert_id=alert_id, idx=idx, kind=kind, **params)


def _image_subject(alert_id: int, idx: int, kind: str) -> list[str]:
    return [str(alert_id), str(idx), kind]


@bp.get("/images/<int:alert_id>/<int:idx>/<kind>")
def image(alert_id: int, idx: int, kind: str) -> Response:
    """The camera's snapshot or reference image, fetched through the allowlist."""
    if kind not in KINDS or alert_id >= 2**63 or idx >= 2**31:
        abort(404, description="No such image.")
    if not login.logged_in():
        _check_image_token(alert_id, idx, kind)
    url = _stored_image_url(alert_id, idx, kind)
    if not url:
        abort(404, description="This camera has no such image.")
    try:
        found = images.image_source().fetch(url)
    except ImageRefused as exc:
        abort(404, description=f"Image not available: {exc}")
    return Response(found.data, content_type=found.content_type,
                    headers={"Cache-Control": "private, max-age=300"})


def _check_image_token(alert_id: int, idx: int, kind: str) -> None:
    rt = login.rt()
    sign = links.signer(rt.settings)
    try:
        if sign is None:
            raise LinkError("Log in to see images.")
        sign.verify(request.args.get("t", ""), links.IMAGE,
                    _image_subject(alert_id, idx, kind), rt.clock.now())
    except LinkError as exc:
        abort(403, description=str(exc))


def _stored_image_url(alert_id: int, idx: int, kind: str) -> str | None:
    with login.rt().db.read() as conn:
        found = views.camera_images(conn, alert_id, idx)
    url = (found or {}).get(kind)
    return url if isinstance(url, str) else None
