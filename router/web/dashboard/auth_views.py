"""``/login`` and ``/logout``."""

from __future__ import annotations

from flask import render_template, request, session, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from router.web.dashboard import bp
from router.web.dashboard import session as login


@bp.get("/login")
def login_form() -> str | WerkzeugResponse:
    if login.logged_in():
        return login.redirect_to(login.safe_next(request.args.get("next")))
    return render_template("login.html", next=request.args.get("next", ""),
                           disabled=login.rt().settings.admin_token is None)


@bp.post("/login")
def login_submit() -> tuple[str, int] | WerkzeugResponse:
    if login.log_in(request.form.get("token", "")):
        return login.redirect_to(login.safe_next(request.form.get("next")))
    return render_template("login.html", next=request.form.get("next", ""), failed=True,
                           disabled=login.rt().settings.admin_token is None), 403


@bp.post("/logout")
def logout() -> WerkzeugResponse:
    session.clear()
    return login.redirect_to(url_for("dashboard.login_form"))
