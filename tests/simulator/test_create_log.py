from __future__ import annotations

import io
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from router.clock import ManualClock
from router.simulator.context import SimContext, sim_of

from .conftest import API, DEMO, jpeg_bytes

URL = API + "create-log/"
RECENT = {"message": "Camera already uploaded a log recently."}


def upload(client: FlaskClient, camera_id: str | None = "cam-new", tag: str | None = None,
           data: bytes | None = None, headers: dict[str, str] = DEMO) -> Any:
    form: dict[str, Any] = {"upload": (io.BytesIO(data or jpeg_bytes()), "frame.jpg")}
    if camera_id is not None:
        form["camera_id"] = camera_id
    if tag is not None:
        form["tag"] = tag
    return client.post(URL, data=form, headers=headers)


def test_unknown_camera_is_created_on_api_license(client: FlaskClient, ctx: SimContext) -> None:
    resp = upload(client, "cam-new", tag="TAG-NEW")
    assert resp.status_code == 201 and resp.json == {"message": "Log created successfully."}
    cam = ctx.state.camera(7, "cam-new")  # LIC-XYZ789 is the account's "api" license
    assert cam is not None and cam.tags == ["TAG-NEW"]
    logs = client.get(API + "7/cameras/cam-new/logs/", headers=DEMO).json["results"]
    assert len(logs) == 1 and logs[0]["status"] == "normal"
    image = client.get(logs[0]["snapshot"])
    assert image.status_code == 200 and image.data == jpeg_bytes()
    assert image.headers["Content-Type"] == "image/jpeg"


def test_tags_are_added_and_kept(client: FlaskClient, ctx: SimContext, clock: ManualClock) -> None:
    assert upload(client, "C1", tag="new-tag").status_code == 201
    cam = ctx.state.camera(5, "C1")
    assert cam is not None and cam.tags == ["site-b", "dock", "new-tag"]
    clock.advance(minutes=15)
    assert upload(client, "C1", tag="new-tag").status_code == 201
    assert cam.tags == ["site-b", "dock", "new-tag"]


def test_one_log_per_camera_per_15_minutes(client: FlaskClient, clock: ManualClock) -> None:
    assert upload(client, "cam-x").status_code == 201
    again = upload(client, "cam-x")
    assert again.status_code == 400 and again.json == RECENT
    clock.advance(minutes=14, seconds=59)
    assert upload(client, "cam-x").json == RECENT
    assert upload(client, "cam-y").status_code == 201  # other cameras are not affected
    clock.advance(seconds=1)
    assert upload(client, "cam-x").status_code == 201


def test_seeded_recent_log_counts(client: FlaskClient, clock: ManualClock) -> None:
    # camera1's last seeded log is 20 minutes old; C1's (the alert log) is 2h old.
    assert upload(client, "camera1").status_code == 201
    assert upload(client, "camera1").json == RECENT


def test_missing_parameters_are_400(client: FlaskClient) -> None:
    resp = upload(client, camera_id=None)
    assert resp.status_code == 400 and "camera_id" in resp.json["message"]
    resp = client.post(URL, data={"camera_id": "x"}, headers=DEMO)
    assert resp.status_code == 400 and "upload" in resp.json["message"]


def test_non_image_is_400(client: FlaskClient) -> None:
    resp = upload(client, data=b"this is not an image at all")
    assert resp.status_code == 400 and resp.json["message"].startswith("Upload a valid image.")


def test_account_without_license_is_403(client: FlaskClient) -> None:
    resp = upload(client, headers={"Authorization": "Token noaccess-token"})
    assert resp.status_code == 403
    assert resp.json == {"detail": "VisionAlert is not enabled for your account."}


def test_requires_token(client: FlaskClient) -> None:
    assert upload(client, headers={}).status_code == 401


def test_cors_preflight(client: FlaskClient) -> None:
    resp = client.options(URL, headers={"Origin": "https://example.org"})
    assert resp.status_code == 200 and resp.headers["Access-Control-Allow-Origin"] == "*"


def test_one_request_per_second_per_token(make_app: Any, clock: ManualClock) -> None:
    app: Flask = make_app(rate_limit=1)
    client = app.test_client()
    assert upload(client, "cam-a").status_code == 201
    resp = upload(client, "cam-b")
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "1"
    assert resp.json == {"detail": "Request was throttled. Expected available in 1 second."}
    assert upload(client, "cam-c", headers={"Authorization": "Token other-token"}
                  ).status_code == 201  # per token
    clock.advance(seconds=1)
    assert upload(client, "cam-b").status_code == 201
    assert sim_of(app).stats.snapshot()["responses_429"] == 1
