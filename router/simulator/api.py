"""The VisionAlert REST API under ``/v1/vision-alert/``, as the API reference specifies.

Request checks run in DRF's order: injected faults (they stand for the network
and load balancer), authentication (401), throttling (429), then the view
(404 unknown license, 403 someone else's, 400 bad parameters).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from flask import Blueprint, Response, g, jsonify, request

from router.clock import utc
from router.errors import ApiError, AuthFailedError, DateFilterError, InvalidCursorError
from router.model import Status
from router.web.api.cursor import page_url

from .auth import authenticate
from .context import sim
from .dates import parse_bound
from .frames import sniff_image
from .pagination import Cursor as PageCursor
from .pagination import Key, page_size_from, paginate
from .ratelimit import throttled_detail
from .serialize import alert_json, camera_json, license_json, log_json
from .state import Camera, License, Log, State

bp = Blueprint("visionalert", __name__, url_prefix="/v1/vision-alert")

T = TypeVar("T")
STATUSES = tuple(s.value for s in Status)
NOT_IMAGE = ("Upload a valid image. The file you uploaded was either not an image "
             "or a corrupted image.")
CREATE_LOG = "visionalert.create_log"


def _detail(status: int, detail: str) -> ApiError:
    return ApiError(status, {"detail": detail})


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> tuple[Response, int]:
    return jsonify(exc.body), exc.status


def _json_error(status: int, body: dict[str, Any], **headers: str) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers)
    return response


@bp.before_request
def _guard() -> Response | None:
    ctx = sim()
    if request.method == "OPTIONS" and request.endpoint == CREATE_LOG:
        return Response(status=200)  # CORS preflight: answered without credentials
    fault_response = _inject_fault()
    if fault_response is not None:
        return fault_response
    try:
        user = authenticate(request.headers.get("Authorization"), ctx.state)
    except AuthFailedError as exc:
        return _json_error(401, {"detail": exc.detail}, **{"WWW-Authenticate": "Token"})
    g.sim_user = user
    g.sim_token = user.token
    wait = ctx.limiter.check(user.token)
    if wait is not None:
        ctx.stats.throttled()
        return _json_error(429, {"detail": throttled_detail(wait)}, **{"Retry-After": str(wait)})
    return None


def _inject_fault() -> Response | None:
    ctx = sim()
    if ctx.faults.latency():
        ctx.clock.sleep(ctx.faults.latency())
    fault = ctx.faults.pick()
    if fault is None:
        return None
    ctx.stats.fault(fault.kind)
    if fault.kind == "hang":
        ctx.faults.wait_hang(fault.hang)
        return _json_error(504, {"detail": "Gateway timeout (simulated hang)."})
    if fault.kind == "throttle":
        return _json_error(429, {"detail": throttled_detail(fault.retry_after)},
                           **{"Retry-After": str(fault.retry_after)})
    return _json_error(fault.status, {"detail": f"Simulated server error {fault.status}."})


@bp.after_request
def _cors(response: Response) -> Response:
    if request.endpoint == CREATE_LOG:  # the reference: CORS open to all origins
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    return response


# ---- helpers -------------------------------------------------------------------------------


def _base_url() -> str:
    return request.host_url


def _license(license_id: int) -> License:
    state = sim().state
    lic = state.licenses.get(license_id)
    if lic is None:
        raise _detail(404, "Not found.")
    if lic.owner_id != g.sim_user.id:
        raise _detail(403, "You do not have permission to perform this action.")
    return lic


def _camera(lic: License, serial: str) -> Camera:
    cam = sim().state.camera(lic.id, serial)
    if cam is None:
        raise _detail(404, "Not found.")
    return cam


def _param(name: str) -> str | None:
    value = request.args.get(name)
    return value if value else None  # django-filter ignores empty parameters


def _status_filter(errors: dict[str, list[str]]) -> str | None:
    status = _param("status")
    if status is not None and status not in STATUSES:
        errors["status"] = [
            f"Select a valid choice. {status} is not one of the available choices."]
    return status


def _date_range(errors: dict[str, list[str]]) -> tuple[datetime | None, datetime | None]:
    bounds: list[datetime | None] = []
    for name in ("start", "end"):
        raw = _param(name)
        try:
            bounds.append(parse_bound(raw, is_end=name == "end", tz=sim().tz) if raw else None)
        except DateFilterError as exc:
            errors[name] = [str(exc)]
            bounds.append(None)
    return bounds[0], bounds[1]


def _in_range(created: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or created >= start) and (end is None or created <= end)


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ApiError(400, errors)


def _paginated(items: Sequence[T], key: Callable[[T], Key],
               render: Callable[[T], dict[str, Any]]) -> Response:
    raw_cursor = _param("cursor")
    try:
        cursor = PageCursor.decode(raw_cursor) if raw_cursor else None
    except InvalidCursorError as exc:
        raise _detail(404, "Invalid cursor") from exc
    page = paginate(items, key, page_size_from(_param("page_size")), cursor)
    return jsonify({
        "next": page_url(request.url, page.next),
        "previous": page_url(request.url, page.previous),
        "results": [render(item) for item in page.items],
    })


def _log_key(log: Log) -> Key:
    return (log.created, log.id)


def _logs_response(state: State, logs: list[Log]) -> Response:
    errors: dict[str, list[str]] = {}
    start, end = _date_range(errors)
    status = _status_filter(errors)
    _raise_if(errors)
    chosen = [log for log in logs if _in_range(log.created, start, end)
              and (status is None or log.status == status)]
    tz, base = sim().tz, _base_url()
    return _paginated(chosen, _log_key, lambda log: log_json(log, state, tz, base))


# ---- endpoints -----------------------------------------------------------------------------


@bp.get("/licenses/")
def list_licenses() -> Response:
    ctx = sim()
    with ctx.state.lock:
        return jsonify([license_json(lic, ctx.tz) for lic in ctx.state.licenses_of(g.sim_user.id)])


@bp.get("/<int:license_id>/cameras/")
def list_cameras(license_id: int) -> Response:
    ctx = sim()
    with ctx.state.lock:
        lic = _license(license_id)
        errors: dict[str, list[str]] = {}
        status = _status_filter(errors)
        _raise_if(errors)
        cameras = ctx.state.cameras_of(lic.id)
        if status is not None:
            # A camera without logs has latest_status null, "equivalent to no_data".
            cameras = [c for c in cameras
                       if (ctx.state.latest_status(c.id) or Status.NO_DATA.value) == status]
        return _paginated(cameras, lambda c: (c.created, c.id),
                          lambda c: camera_json(c, ctx.state, ctx.tz))


@bp.get("/<int:license_id>/cameras/<serial>/logs/")
def list_camera_logs(license_id: int, serial: str) -> Response:
    state = sim().state
    with state.lock:
        cam = _camera(_license(license_id), serial)
        return _logs_response(state, state.logs_of({cam.id}))


@bp.get("/<int:license_id>/logs/")
def list_license_logs(license_id: int) -> Response:
    state = sim().state
    with state.lock:
        lic = _license(license_id)
        cameras = state.cameras_of(lic.id)
        serial, tag = _param("serial"), _param("tag")
        if serial is not None:
            cameras = [c for c in cameras if c.serial == serial]
        if tag is not None:
            cameras = [c for c in cameras if tag in c.tags]
        return _logs_response(state, state.logs_of({c.id for c in cameras}))


@bp.delete("/<int:license_id>/cameras/<serial>/")
def delete_camera(license_id: int, serial: str) -> Response:
    state = sim().state
    with state.lock:
        state.delete_camera(_camera(_license(license_id), serial))
    return Response(status=204)


@bp.get("/<int:license_id>/cameras/<serial>/reference/")
def get_reference(license_id: int, serial: str) -> Response:
    state = sim().state
    with state.lock:
        cam = _camera(_license(license_id), serial)
        ref = cam.reference
        url = f"{_base_url()}media/{ref.path}" if ref else None
    return jsonify({"reference_image": url})


@bp.post("/<int:license_id>/cameras/<serial>/reference/")
def set_reference(license_id: int, serial: str) -> tuple[Response, int]:
    ctx = sim()
    with ctx.state.lock:
        cam = _camera(_license(license_id), serial)
        upload = request.files.get("upload")
        if upload is None or not upload.filename:
            raise ApiError(400, {"upload": ["No file was submitted."]})
        data = upload.read()
        if sniff_image(data) is None:
            raise ApiError(400, {"upload": [NOT_IMAGE]})
        ctx.state.set_reference(cam, data, utc(ctx.clock.now()))
    return jsonify({"message": "Reference image updated."}), 201


@bp.get("/<int:license_id>/alerts/")
def list_alerts(license_id: int) -> Response:
    ctx = sim()
    with ctx.state.lock:
        lic = _license(license_id)
        errors: dict[str, list[str]] = {}
        start, end = _date_range(errors)
        _raise_if(errors)
        code = _param("license")
        # django-filter's BooleanWidget: true/false/1/0; anything else means "no filter".
        sent = {"true": True, "1": True, "false": False, "0": False}.get(
            (_param("sent") or "").lower())
        alerts = [a for a in ctx.state.alerts.values() if a.license_id == lic.id
                  and _in_range(a.created, start, end)
                  and (code is None or lic.code == code)
                  and (sent is None or a.sent == sent)]
        base = _base_url()
        return _paginated(alerts, lambda a: (a.created, a.id),
                          lambda a: alert_json(a, ctx.state, ctx.tz, base))


@bp.route("/create-log/", methods=["POST", "OPTIONS"])
def create_log() -> tuple[Response, int]:
    ctx = sim()
    upload = request.files.get("upload")
    camera_id = (request.form.get("camera_id") or "").strip()
    tag = (request.form.get("tag") or "").strip()
    missing = [name for name, ok in (("upload", upload is not None and upload.filename),
                                     ("camera_id", camera_id)) if not ok]
    if missing:
        raise ApiError(400, {"message": f"Missing required parameter(s): {', '.join(missing)}."})
    assert upload is not None
    data = upload.read()
    if sniff_image(data) is None:
        raise ApiError(400, {"message": NOT_IMAGE})
    with ctx.state.lock:
        licenses = ctx.state.licenses_of(g.sim_user.id)
        if not licenses:
            raise _detail(403, "VisionAlert is not enabled for your account.")
        now = utc(ctx.clock.now())
        cam = next((c for lic in licenses if (c := ctx.state.camera(lic.id, camera_id))), None)
        if cam is None:
            # New cameras join the account's API-type license, else its newest license.
            target = next((lic for lic in licenses if lic.va_type == "api"), licenses[0])
            cam = ctx.state.add_camera(target.id, camera_id, now)
        else:
            last = ctx.state.latest_log(cam.id)
            if last is not None and now - last.created < ctx.config.log_interval:
                raise ApiError(400, {"message": "Camera already uploaded a log recently."})
        if tag:
            ctx.state.add_tag(cam, tag, now)
        snapshot = ctx.state.store_media("camera_snapshot", now, cam.name, data)
        # Analysis is asynchronous upstream; the simulator records a normal result at once.
        ctx.state.add_log(cam, Status.NORMAL.value, {}, now, snapshot)
    return jsonify({"message": "Log created successfully."}), 201
