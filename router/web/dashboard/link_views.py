"""Signed action links from notifications: ``/a/open/<alert>`` and ``/a/silence``.

GET never changes anything: the silence link shows a confirmation page whose
form (with the session's CSRF token) makes the change. See router.channels.links.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from router.channels import links
from router.errors import LinkError, Refused
from router.web.dashboard import bp, operations
from router.web.dashboard import session as login
from router.web.dashboard.pages import render_alert

MAX_SILENCE = 30 * 86400


def _refuse(message: str) -> tuple[str, int]:
    return render_template("link_error.html", message=message), 403


def _signer() -> links.Signer:
    sign = links.signer(login.rt().settings)
    if sign is None:
        raise LinkError("Action links are disabled: the router has no link key "
                              "(set ROUTER_LINK_SECRET or ROUTER_ADMIN_TOKEN).")
    return sign


@bp.get("/a/open/<int:alert_id>")
def open_link(alert_id: int) -> str | tuple[str, int] | WerkzeugResponse:
    try:
        sign = _signer()
        sign.verify(request.args.get("t", ""), links.OPEN, [str(alert_id)], login.rt().clock.now())
    except LinkError as exc:
        return _refuse(str(exc))
    if login.logged_in():
        return login.redirect_to(url_for("dashboard.alert", alert_id=alert_id))
    return render_alert(alert_id, image_token=sign)


def _silence_request() -> tuple[str, str, int]:
    """license, serial and seconds of a verified silence link; LinkError otherwise."""
    values = request.values
    license_code, serial, seconds = (values.get("license", ""), values.get("serial", ""),
                                     values.get("for", ""))
    _signer().verify(values.get("t", ""), links.SILENCE,
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
        return _refuse(str(exc))
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
        return _refuse(str(exc))
    except Refused as exc:
        return render_template("message.html", title="Not silenced", message=str(exc)), 400
    until = datetime.fromtimestamp(now + seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return render_template("message.html", title="Camera silenced",
                           message=f"Camera {serial} ({license_code}) is silenced until "
                                   f"{until} (silence {silence_id}).")
