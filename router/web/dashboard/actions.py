"""Pages that change something: silences (list, create, expire) and deliveries
(failing and dead, replay). Every form posts with the session's CSRF token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import flash, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from router.errors import FormError, QueryError, Refused
from router.store import views
from router.web.api.pagination import Cursor, page_request, window
from router.web.dashboard import bp, operations
from router.web.dashboard import session as login

DURATIONS = {"2h": 2 * 3600, "24h": 24 * 3600}
LIST_STATES = ("failing", "dead")


# ------------------------------------------------------------------ silences


@bp.get("/silences")
@login.login_required
def silences() -> str:
    rt = login.rt()
    try:
        found, error = operations.list_silences(rt.db, rt.clock.now()), None
    except Refused as exc:
        found, error = [], str(exc)
    return render_template("silences.html", silences=found, error=error, now=rt.clock.now(),
                           prefill=request.args)


@bp.post("/silences")
@login.login_required
def create_silence() -> WerkzeugResponse | tuple[str, int]:
    rt = login.rt()
    now = rt.clock.now()
    try:
        matchers = silence_matchers(request.form)
        ends_at = silence_end(request.form, now)
        silence_id = operations.create_silence(
            rt.db, matchers=matchers, starts_at=now, ends_at=ends_at, author="dashboard",
            comment=request.form.get("comment", "").strip()[:2000], now=now)
    except (FormError, Refused) as exc:
        return render_template("message.html", title="Silence not created",
                               message=str(exc)), 400
    flash(f"Silence {silence_id} created, until {_utc(ends_at)}.")
    return login.redirect_to(login.safe_next(request.form.get("back") or
                                             url_for("dashboard.silences")))


@bp.post("/silences/<int:silence_id>/expire")
@login.login_required
def expire_silence(silence_id: int) -> WerkzeugResponse | tuple[str, int]:
    rt = login.rt()
    try:
        done = operations.expire_silence(rt.db, silence_id, rt.clock.now())
    except Refused as exc:
        return render_template("message.html", title="Not expired", message=str(exc)), 400
    flash(f"Silence {silence_id} expired." if done else
          f"Silence {silence_id} was already expired or does not exist.")
    return login.redirect_to(url_for("dashboard.silences"))


def silence_matchers(form: Any) -> dict[str, Any]:
    """rules.yaml ``match:`` from the form's license, camera and tag fields."""
    matchers = {key: [form.get(field, "").strip()]
                for key, field in (("license", "license"), ("camera", "serial"), ("tags", "tag"))
                if form.get(field, "").strip()}
    if not matchers:
        raise FormError("name at least a license, a camera or a tag to silence")
    return matchers


def silence_end(form: Any, now: float) -> float:
    """From ``duration`` (2h, 24h) or ``until`` (a UTC date and time)."""
    if form.get("duration") in DURATIONS:
        return now + DURATIONS[form["duration"]]
    until = form.get("until", "").strip()
    try:
        end = datetime.fromisoformat(until).replace(tzinfo=UTC).timestamp() if until else None
    except ValueError:
        end = None
    if end is None or end <= now:
        raise FormError("choose 2 h, 24 h, or an 'until' time (UTC) in the future")
    return end


def _utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


# ------------------------------------------------------------------ deliveries


@bp.get("/deliveries")
@login.login_required
def deliveries() -> tuple[str, int] | str:
    state = request.args.get("state", "failing")
    state = state if state in LIST_STATES else "failing"
    try:
        req = page_request(request.args)
    except QueryError as exc:
        return render_template("message.html", title="Bad page", message=str(exc)), 400
    with login.rt().db.read() as conn:
        page = views.list_deliveries(conn, state, window(req))
    return render_template("deliveries.html", page=page, state=state, states=LIST_STATES,
                           next_url=_link(state, page.next_key, False),
                           previous_url=_link(state, page.previous_key, True))


def _link(state: str, key: tuple[float, int] | None, reverse: bool) -> str | None:
    if key is None:
        return None
    return url_for("dashboard.deliveries", state=state,
                   cursor=Cursor(key[0], key[1], reverse).encode())


@bp.post("/deliveries/<int:delivery_id>/replay")
@login.login_required
def replay(delivery_id: int) -> WerkzeugResponse | tuple[str, int]:
    rt = login.rt()
    try:
        done = operations.replay(rt.db, delivery_id, rt.clock.now())
    except Refused as exc:
        return render_template("message.html", title="Not replayed", message=str(exc)), 400
    flash(f"Delivery {delivery_id} queued again." if done else
          f"Delivery {delivery_id} is not a dead letter.")
    return login.redirect_to(url_for("dashboard.deliveries", state="dead"))


@bp.post("/deliveries/replay-dead")
@login.login_required
def replay_all() -> WerkzeugResponse | tuple[str, int]:
    rt = login.rt()
    try:
        count = operations.replay_all_dead(rt.db, rt.clock.now())
    except Refused as exc:
        return render_template("message.html", title="Not replayed", message=str(exc)), 400
    flash(f"{count} dead letter(s) queued again.")
    return login.redirect_to(url_for("dashboard.deliveries", state="dead"))
