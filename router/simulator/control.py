"""Simulator-only endpoints under ``/_sim/``: stats, faults, rate limit, alerts, logs.

No authentication: the simulator is a loopback test tool. These never count
against the rate limit and are not subject to injected faults.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from router.clock import utc
from router.errors import ControlError
from router.model import Status

from .context import SimContext, sim
from .faults import FaultConfig
from .scenario import AlertCameraSpec
from .serialize import alert_json, log_json, webhook_payload
from .state import Alert
from .webhook import WebhookResult, send_webhook

bp = Blueprint("sim", __name__, url_prefix="/_sim")


@bp.errorhandler(ControlError)
def _control_error(exc: ControlError) -> tuple[Response, int]:
    return jsonify({"error": "bad_request" if exc.status == 400 else "not_found",
                    "detail": exc.message}), exc.status


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ControlError(400, "send a JSON object")
    return data


@bp.get("/stats")
def stats() -> Response:
    return jsonify(sim().stats.snapshot())


@bp.post("/reset-stats")
def reset_stats() -> Response:
    ctx = sim()
    ctx.stats.reset()
    return jsonify(ctx.stats.snapshot())


@bp.get("/faults")
def get_faults() -> Response:
    return jsonify(sim().faults.as_dict())


@bp.route("/faults", methods=["PUT", "POST"])
def set_faults() -> Response:
    """Replace the fault settings (omitted fields take their defaults: no fault)."""
    ctx = sim()
    try:
        ctx.faults.configure(FaultConfig.from_dict(_body()))
    except (TypeError, ValueError) as exc:
        raise ControlError(400, str(exc)) from exc
    return jsonify(ctx.faults.as_dict())


@bp.delete("/faults")
def clear_faults() -> Response:
    ctx = sim()
    ctx.faults.configure(FaultConfig())
    return jsonify(ctx.faults.as_dict())


@bp.route("/rate-limit", methods=["GET", "PUT"])
def rate_limit() -> Response:
    ctx = sim()
    if request.method == "PUT":
        rate = _body().get("rate")
        if not isinstance(rate, int | float) or rate < 0:
            raise ControlError(400, "'rate' must be a number of requests/second >= 0")
        ctx.limiter.set_rate(float(rate))
        ctx.limiter.reset()
    return jsonify({"rate": ctx.limiter.rate})


def _license_and_cameras(ctx: SimContext, body: dict[str, Any]) -> tuple[int, list[Any]]:
    code = body.get("license")
    lic = ctx.state.license_by_code(code) if isinstance(code, str) else None
    if lic is None:
        raise ControlError(404, f"no license with code {code!r}")
    cameras = body.get("cameras")
    if not isinstance(cameras, list) or not cameras:
        raise ControlError(400, "'cameras' must be a non-empty list of serials or objects")
    return lic.id, cameras


@bp.post("/alerts")
def create_alert() -> tuple[Response, int]:
    """Create an alert now: ``{"license", "cameras": [serial | {serial, status, anomalies}],
    "sent", "anomaly", "webhook": true | {"target", "format", "token"}}``."""
    ctx = sim()
    body = _body()
    with ctx.state.lock:
        license_id, specs = _license_and_cameras(ctx, body)
        now = utc(ctx.clock.now())
        entries = []
        for raw in specs:
            try:
                spec = AlertCameraSpec.model_validate(
                    {"serial": raw} if isinstance(raw, str) else raw)
            except ValueError as exc:
                raise ControlError(400, f"bad camera entry {raw!r}: {exc}") from exc
            cam = ctx.state.camera(license_id, spec.serial)
            if cam is None:
                raise ControlError(404, f"no camera {spec.serial!r} in license {body['license']}")
            entries.append(ctx.state.snapshot_camera(cam, spec.status, spec.anomalies, now))
        anomaly = body.get("anomaly")
        alert = ctx.state.add_alert(license_id, entries, now, sent=bool(body.get("sent", False)),
                                    anomaly=anomaly if isinstance(anomaly, str) else None)
    result = _maybe_send(ctx, alert, body.get("webhook"))
    return _alert_answer(ctx, alert, result), 201


@bp.post("/alerts/<int:alert_id>/webhook")
def resend_alert(alert_id: int) -> Response:
    """Send (again) the webhook of an existing alert."""
    ctx = sim()
    alert = ctx.state.alerts.get(alert_id)
    if alert is None:
        raise ControlError(404, f"no alert {alert_id}")
    body = _body()
    return _alert_answer(ctx, alert, _maybe_send(ctx, alert, body or True))


@bp.post("/logs")
def create_sim_log() -> tuple[Response, int]:
    """Add a log bypassing create-log limits: ``{"license", "serial", "status", "anomalies"}``
    (e.g. to make a camera recover)."""
    ctx = sim()
    body = _body()
    with ctx.state.lock:
        lic = ctx.state.license_by_code(str(body.get("license")))
        cam = ctx.state.camera(lic.id, str(body.get("serial"))) if lic else None
        if cam is None:
            raise ControlError(404, "unknown license code or camera serial")
        try:
            spec = AlertCameraSpec.model_validate({
                "serial": cam.serial, "status": body.get("status", Status.NORMAL.value),
                "anomalies": body.get("anomalies", {})})
        except ValueError as exc:
            raise ControlError(400, str(exc)) from exc
        ctx.state.snapshot_camera(cam, spec.status, spec.anomalies, utc(ctx.clock.now()))
        log = ctx.state.latest_log(cam.id)
        assert log is not None
        return jsonify(log_json(log, ctx.state, ctx.tz, request.host_url)), 201


def _alert_answer(ctx: SimContext, alert: Alert, result: WebhookResult | None) -> Response:
    with ctx.state.lock:
        answer = alert_json(alert, ctx.state, ctx.tz, request.host_url)
        answer["webhook"] = result.as_dict() if result else None
        answer["webhook_payload"] = webhook_payload(alert, ctx.state, request.host_url)
    return jsonify(answer)


def _maybe_send(ctx: SimContext, alert: Alert, option: Any) -> WebhookResult | None:
    if not option:
        return None
    opts = option if isinstance(option, dict) else {}
    target = opts.get("target") or ctx.config.webhook_target
    if not target:
        raise ControlError(400, "no webhook target: pass webhook.target or start with "
                                "--webhook-target")
    fmt = opts.get("format") or ctx.config.webhook_format
    token = opts.get("token", ctx.config.webhook_token)
    try:
        return deliver(ctx, alert, request.host_url, target=target, fmt=fmt, token=token)
    except ValueError as exc:
        raise ControlError(400, str(exc)) from exc


def deliver(ctx: SimContext, alert: Alert, base_url: str, *, target: str, fmt: str,
            token: str | None) -> WebhookResult:
    """Send ``alert``'s webhook; a delivered alert is marked ``sent`` as upstream would."""
    with ctx.state.lock:
        payload = webhook_payload(alert, ctx.state, base_url)
        first = next((c.snapshot for c in alert.cameras if c.snapshot), None)
        image = ctx.state.media[first][0] if first and first in ctx.state.media else None
    result = send_webhook(target, payload, fmt, token=token, image=image,
                          timeout=ctx.config.webhook_timeout)
    if result.ok:
        with ctx.state.lock:
            alert.sent = True
    return result
