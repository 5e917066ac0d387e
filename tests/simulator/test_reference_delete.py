from __future__ import annotations

import io

from flask.testing import FlaskClient

from router.clock import ManualClock
from router.simulator.context import SimContext

from .conftest import API, DEMO, get_all, jpeg_bytes

REF = API + "5/cameras/C1/reference/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def post_ref(client: FlaskClient, data: bytes | None, name: str = "ref.jpg") -> object:
    form = {} if data is None else {"upload": (io.BytesIO(data), name)}
    return client.post(REF, data=form, headers=DEMO)


def test_set_then_get_reference(client: FlaskClient, clock: ManualClock) -> None:
    before = client.get(REF, headers=DEMO).json["reference_image"]
    clock.advance(60)
    resp = client.post(REF, data={"upload": (io.BytesIO(jpeg_bytes()), "ref.jpg")}, headers=DEMO)
    assert resp.status_code == 201 and resp.json == {"message": "Reference image updated."}
    after = client.get(REF, headers=DEMO).json["reference_image"]
    assert after != before and after.endswith(".jpg")
    image = client.get(after)
    assert image.data == jpeg_bytes() and image.headers["Content-Type"] == "image/jpeg"
    # History: the old image still serves, and the older alert still points at it.
    assert client.get(before).status_code == 200
    alert = next(a for a in get_all(client, API + "5/alerts/")
                 if a["cameras"][-1]["serial"] == "C1")
    assert alert["cameras"][-1]["reference_image"] == before


def test_png_reference_is_accepted(client: FlaskClient) -> None:
    resp = client.post(REF, data={"upload": (io.BytesIO(PNG), "ref.png")}, headers=DEMO)
    assert resp.status_code == 201
    url = client.get(REF, headers=DEMO).json["reference_image"]
    assert url.endswith(".png") and client.get(url).headers["Content-Type"] == "image/png"


def test_reference_errors(client: FlaskClient) -> None:
    resp = client.post(REF, data={}, headers=DEMO)
    assert resp.status_code == 400 and resp.json == {"upload": ["No file was submitted."]}
    resp = client.post(REF, data={"upload": (io.BytesIO(b"plain text"), "x.jpg")}, headers=DEMO)
    assert resp.status_code == 400 and resp.json["upload"][0].startswith("Upload a valid image")
    resp = client.post(API + "5/cameras/NOPE/reference/", headers=DEMO,
                       data={"upload": (io.BytesIO(jpeg_bytes()), "x.jpg")})
    assert resp.status_code == 404


def test_camera_without_reference(client: FlaskClient) -> None:
    resp = client.get(API + "5/cameras/Q2GV-EFGH-5678/reference/", headers=DEMO)
    assert resp.status_code == 200 and resp.json == {"reference_image": None}


def test_delete_removes_logs_and_references(client: FlaskClient, ctx: SimContext) -> None:
    ref = client.get(REF, headers=DEMO).json["reference_image"]
    logs = get_all(client, API + "5/cameras/C1/logs/")
    snapshot = next(log["snapshot"] for log in logs if log["snapshot"])
    assert client.delete(API + "5/cameras/C1/", headers=DEMO).status_code == 204
    assert client.get(REF, headers=DEMO).status_code == 404
    assert client.get(API + "5/cameras/C1/logs/", headers=DEMO).status_code == 404
    assert get_all(client, API + "5/logs/?serial=C1") == []
    assert client.get(ref).status_code == 404 and client.get(snapshot).status_code == 404
    assert "C1" not in {c["serial"] for c in get_all(client, API + "5/cameras/")}
    assert not [log for log in ctx.state.logs.values() if log.id in {x["id"] for x in logs}]
    # Alerts are history: they keep their copy of the camera.
    assert any(c["serial"] == "C1" for a in get_all(client, API + "5/alerts/")
               for c in a["cameras"])


def test_delete_unknown_and_foreign(client: FlaskClient) -> None:
    assert client.delete(API + "5/cameras/NOPE/", headers=DEMO).status_code == 404
    assert client.delete(API + "9/cameras/O-0001/", headers=DEMO).status_code == 403
    assert client.delete(API + "9/cameras/O-0001/",
                         headers={"Authorization": "Token other-token"}).status_code == 204
