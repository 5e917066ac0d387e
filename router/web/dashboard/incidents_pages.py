"""Incident pages: the list (grouped by site, filters, paging), one incident with its
images and timeline, and the acknowledge form (through router.pipeline.acknowledge)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from router.errors import IncidentNotFound, QueryError, Refused
from router.pipeline.acknowledge import MAX_BY, MAX_COMMENT, acknowledge
from router.store.views.incidents import incident_detail, incident_stats, list_incidents
from router.web.api.pagination import Cursor, PageRequest, page_request, window
from router.web.dashboard import bp
from router.web.dashboard import session as login

# "" lists what is open now (open or acknowledged); "all" includes the resolved.
STATES = ("", "open", "acknowledged", "resolved", "all")
FILTERS = ("state", "license", "camera")
KINDS = ("snapshot", "reference")


@bp.get("/incidents")
@login.login_required
def incidents() -> tuple[str, int] | str:
    args = {k: request.args.get(k, "").strip() for k in FILTERS}
    rt = login.rt()
    now = rt.clock.now()
    req: PageRequest | None = None
    error = ""
    try:
        req = _list_request(args)
    except QueryError as exc:
        error = str(exc)
    with rt.db.read() as conn:
        stats = incident_stats(conn, now=now)
        page = None if req is None else list_incidents(
            conn, state=_state(args["state"]), license=args["license"] or None, tag=None,
            camera=args["camera"] or None, start=None, end=None, window=window(req), now=now)
    if page is None:
        return render_template("incidents.html", args=args, states=STATES, stats=stats,
                               page=None, sites=[], now=now, error=error), 400
    return render_template("incidents.html", args=args, states=STATES, stats=stats,
                           page=page, sites=by_site(page.rows), now=now, error=None,
                           next_url=_page_link(page.next_key, False),
                           previous_url=_page_link(page.previous_key, True))


def _list_request(args: dict[str, str]) -> PageRequest:
    """The page wanted; QueryError for an unknown state or cursor."""
    if args["state"] not in STATES:
        raise QueryError("state", f"unknown state {args['state']!r}: use open, "
                                  "acknowledged, resolved or all")
    return page_request(request.args)


def _state(value: str) -> str | None:
    """The list's state filter: open now (default), one state, or None for all."""
    if value == "all":
        return None
    return value or "active"


def site_of(row: dict[str, Any]) -> str:
    """An incident's site: the camera's first tag, else its license."""
    tags = row.get("tags") or []
    return str(tags[0]) if tags else str(row.get("license") or "")


def by_site(rows: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Rows grouped by site, sites in the order of their first row."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(site_of(row), []).append(row)
    return list(groups.items())


def _page_link(key: tuple[float, int] | None, reverse: bool) -> str | None:
    if key is None:
        return None
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "cursor" and v}
    args["cursor"] = Cursor(key[0], key[1], reverse).encode()
    return url_for("dashboard.incidents", **args)


@bp.get("/incidents/<int:incident_id>")
@login.login_required
def incident(incident_id: int) -> str:
    rt = login.rt()
    now = rt.clock.now()
    with rt.db.read() as conn:
        found = incident_detail(conn, incident_id, now=now) if incident_id < 2**63 else None
    if found is None:
        abort(404, description=f"There is no incident {incident_id}.")
    event = found.get("data") or {}
    images = {kind: _image_url(event, kind) for kind in KINDS}
    return render_template("incident.html", i=found, event=event, images=images,
                           site=site_of(found), now=now, max_by=MAX_BY,
                           max_comment=MAX_COMMENT)


def _image_url(event: dict[str, Any], kind: str) -> str | None:
    """The image proxy's URL for the camera event behind the incident (None: no image)."""
    alert_id, idx = event.get("alert_id"), event.get("index")
    if not event.get(f"{kind}_url") or not isinstance(alert_id, int) or not isinstance(idx, int):
        return None
    return url_for("dashboard.image", alert_id=alert_id, idx=idx, kind=kind)


@bp.post("/incidents/<int:incident_id>/ack")
@login.login_required
def ack_incident(incident_id: int) -> WerkzeugResponse | tuple[str, int]:
    try:
        if incident_id >= 2**63:
            raise IncidentNotFound(f"no incident {incident_id}")
        done = acknowledge(login.rt(), incident_id, by=request.form.get("name", ""),
                           comment=request.form.get("comment", ""))
    except IncidentNotFound:
        return render_template("message.html", title="Not acknowledged",
                               message=f"There is no incident {incident_id}."), 404
    except Refused as exc:
        return render_template("message.html", title="Not acknowledged",
                               message=f"{exc}."), 409
    if done.already:
        flash(f"Incident {incident_id} was already acknowledged by {done.by}.")
    else:
        flash(f"Incident {incident_id} acknowledged by {done.by}.")
    return login.redirect_to(url_for("dashboard.incident", incident_id=incident_id))
