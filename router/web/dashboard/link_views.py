"""Signed action links from notifications: ``/a/open/<alert>``, ``/a/silence`` and
``/a/ack``.

GET never changes anything: the silence and acknowledge links show a confirmation
page whose form (with the session's CSRF token) makes the change. See
router.channels.links.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

from flask import render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from router.channels import links
from router.errors import IncidentNotFound, LinkError, Refused
from router.pipeline.acknowledge import acknowledge
from router.store import incidents
from router.web.dashboard import bp, operations
from router.web.dashboard import session as login
from router.web.dashboard.pages import render_alert

MAX_SILENCE = 30 * 86400


def refuse(message: str) -> tuple[str, int]:
    return render_template("link_error.html", message=message), 403


def link_signer() -> links.Signer:
    sign = links.signer(login.rt().settings)
    if sign is None:
        raise LinkError("Action links are disabled: the router has no link key "
                              "(set ROUTER_LINK_SECRET or ROUTER_ADMIN_TOKEN).")
    return sign


@bp.get("/a/open/<int:alert_id>")
def open_link(alert_id: int) -> str | tuple[str, int] | WerkzeugResponse:
    try:
        sign = link_signer()
        sign.verify(request.args.get("t", ""), links.OPEN, [str(alert_id)], login.rt().clock.now())
    except LinkError as exc:
        return refuse(str(exc))
    if login.logged_in():
        return login.redirect_to(url_for("dashboard.alert", alert_id=alert_id))
    return render_alert(alert_id, image_token=sign)


def _silence_request() -> tuple[str, str, int]:
    """license, serial and seconds of a verified silence link; LinkError otherwise."""
    values = request.values
    license_code, serial, seconds = (values.get("license", ""), values.get("serial", ""),
                                     values.get("for", ""))
    link_signer().verify(values.get("t", ""), links.SILENCE,
                     [license_code, serial, seconds],
                     login.rt().clock.now())
    if not seconds.isdigit() or not 0 < int(seconds) <= MAX_SILENCE:
        raise LinkError("This link asks for an unusable silence duration.")
    return license_code, serial, int(seconds)


@bp.get("/a/silence")
def silence_link() -> str | tuple[str, int]:
    try:
        license_code, serial, seconds = _silence_request()
    except LinkError as exc:
        return refuse(str(exc))
    return render_template("link_confirm.html", license=license_code, serial=serial,
                           seconds=seconds, token=request.args.get("t", ""),
                           until=login.rt().clock.now() + seconds)


@bp.post("/a/silence")
def silence_confirmed() -> str | tuple[str, int]:
    rt = login.rt()
    try:
        license_code, serial, seconds = _silence_request()
        now = rt.clock.now()
        silence_id = operations.create_silence(
            rt.db, matchers={"license": [license_code], "camera": [serial]}, starts_at=now,
            ends_at=now + seconds, author="action link", comment="silenced from a notification",
            now=now)
    except LinkError as exc:
        return refuse(str(exc))
    except Refused as exc:
        return render_template("message.html", title="Not silenced", message=str(exc)), 400
    until = datetime.fromtimestamp(now + seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return render_template("message.html", title="Camera silenced",
                           message=f"Camera {serial} ({license_code}) is silenced until "
                                   f"{until} (silence {silence_id}).")


def _ack_request() -> tuple[str, str]:
    """license and serial of a verified acknowledge link; LinkError otherwise."""
    values = request.values
    license_code, serial = values.get("license", ""), values.get("serial", "")
    link_signer().verify(values.get("t", ""), links.ACK, [license_code, serial],
                     login.rt().clock.now())
    return license_code, serial


def _open_incident(license_code: str, serial: str) -> Any | None:
    with login.rt().db.read() as conn:
        return incidents.open_incident(conn, license_code, serial)


def _no_incident(license_code: str, serial: str) -> tuple[str, int]:
    return render_template(
        "message.html", title="No open incident",
        message=f"Camera {serial} ({license_code}) has no open incident: it was resolved "
                "already, or never opened. Nothing was changed."), 404


class Linked(NamedTuple):
    license: str
    serial: str
    incident: Any


def _linked_incident() -> Linked | tuple[str, int]:
    """(license, serial, open incident) of a verified link, or the page that says why not."""
    try:
        license_code, serial = _ack_request()
    except LinkError as exc:
        return refuse(str(exc))
    current = _open_incident(license_code, serial)
    if current is None:
        return _no_incident(license_code, serial)
    return Linked(license_code, serial, current)


@bp.get("/a/ack")
def ack_link() -> str | tuple[str, int]:
    found = _linked_incident()
    if not isinstance(found, Linked):
        return found
    license_code, serial, current = found
    return render_template("link_ack_confirm.html", incident=current, license=license_code,
                           serial=serial, token=request.args.get("t", ""),
                           now=login.rt().clock.now())


@bp.post("/a/ack")
def ack_confirmed() -> str | tuple[str, int]:
    found = _linked_incident()
    if not isinstance(found, Linked):
        return found
    license_code, serial, current = found
    shown = request.form.get("incident", "")
    if shown and shown != str(current.id):
        # Another incident opened since the page was shown: confirm that one instead.
        return render_template("link_ack_confirm.html", incident=current, license=license_code,
                               serial=serial, token=request.form.get("t", ""),
                               now=login.rt().clock.now(), changed=shown), 409
    try:
        done = acknowledge(login.rt(), int(current.id), by=request.form.get("name", ""),
                           comment=request.form.get("comment", ""))
    except IncidentNotFound:
        return _no_incident(license_code, serial)
    except Refused as exc:
        return render_template("message.html", title="Not acknowledged",
                               message=f"{exc}. Nothing was changed."), 409
    if done.already:
        return render_template("message.html", title="Already acknowledged",
                               message=f"Incident {done.incident_id} of camera {serial} was "
                                       f"already acknowledged by {done.by}.")
    return render_template("message.html", title="Incident acknowledged",
                           message=f"Incident {done.incident_id} of camera {serial} "
                                   f"acknowledged by {done.by}.")
