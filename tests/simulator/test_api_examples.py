"""Every example request of the API reference gets the documented status and shape."""

from __future__ import annotations

import io

from flask.testing import FlaskClient

from .conftest import API, DEMO, jpeg_bytes

LICENSE_FIELDS = ["id", "code", "size", "va_type", "expiration", "created", "modified"]
CAMERA_FIELDS = ["id", "serial", "name", "license", "tags", "notes", "latest_status", "created",
                 "modified"]
LOG_FIELDS = ["id", "camera_serial", "camera_name", "status", "anomalies", "snapshot", "created"]
ALERT_FIELDS = ["id", "license", "sent", "cameras", "created"]
ALERT_CAMERA_FIELDS = ["serial", "name", "status", "anomalies", "snapshot", "reference_image"]


def assert_page(body: dict[str, object]) -> list[dict[str, object]]:
    assert list(body) == ["next", "previous", "results"]
    results = body["results"]
    assert isinstance(results, list)
    return results


def test_list_licenses(client: FlaskClient) -> None:
    resp = client.get(API + "licenses/", headers=DEMO)
    assert resp.status_code == 200
    assert isinstance(resp.json, list)
    assert [lic["id"] for lic in resp.json] == [7, 5]  # most recent first
    for lic in resp.json:
        assert list(lic) == LICENSE_FIELDS
    assert resp.json[1]["code"] == "LIC-ABC123"
    assert resp.json[1]["created"].endswith("Z")


def test_list_cameras_and_status_filter(client: FlaskClient) -> None:
    resp = client.get(API + "5/cameras/", headers=DEMO)
    assert resp.status_code == 200
    cameras = assert_page(resp.json)
    assert len(cameras) == 16 and list(cameras[0]) == CAMERA_FIELDS
    assert resp.json["next"] is None and resp.json["previous"] is None
    anomaly = assert_page(client.get(API + "5/cameras/?status=anomaly", headers=DEMO).json)
    assert anomaly and {c["latest_status"] for c in anomaly} == {"anomaly"}


def test_camera_logs_examples(client: FlaskClient) -> None:
    resp = client.get(API + "5/cameras/C1/logs/?start=2026-04-01&end=2026-04-10", headers=DEMO)
    assert resp.status_code == 200
    logs = assert_page(resp.json)
    assert logs and list(logs[0]) == LOG_FIELDS
    assert {log["camera_serial"] for log in logs} == {"C1"}
    resp = client.get(API + "5/cameras/C1/logs/?status=anomaly", headers=DEMO)
    logs = assert_page(resp.json)
    assert [log["anomalies"] for log in logs] == [{"Obstruction": 0.93}]
    resp = client.get(
        API + "5/cameras/C1/logs/?start=2026-04-10T00:00:00Z&end=2026-04-10T12:00:00Z",
        headers=DEMO)
    assert resp.status_code == 200


def test_license_logs_examples(client: FlaskClient) -> None:
    resp = client.get(API + "5/logs/?start=2026-04-01&end=2026-04-10", headers=DEMO)
    logs = assert_page(resp.json)
    assert len(logs) == 50 and resp.json["next"]
    assert len({log["camera_serial"] for log in logs}) > 1
    resp = client.get(API + "5/logs/?serial=Q2GV-ABCD-1234&status=anomaly", headers=DEMO)
    logs = assert_page(resp.json)
    assert logs[0]["anomalies"] == {"Blur": 0.87, "Obstruction": 0.65}
    assert logs[0]["snapshot"].startswith("http://localhost/media/camera_snapshot/04/10/")
    resp = client.get(API + "5/logs/?start=2026-04-01&end=2026-04-10&tag=site-a", headers=DEMO)
    assert resp.status_code == 200


def test_delete_camera_example(client: FlaskClient) -> None:
    resp = client.delete(API + "5/cameras/C1/", headers=DEMO)
    assert resp.status_code == 204 and resp.data == b""
    assert client.delete(API + "5/cameras/C1/", headers=DEMO).status_code == 404


def test_reference_examples(client: FlaskClient) -> None:
    resp = client.get(API + "5/cameras/C1/reference/", headers=DEMO)
    assert resp.status_code == 200
    assert list(resp.json) == ["reference_image"]
    assert resp.json["reference_image"].startswith("http://localhost/media/camera_reference/")
    resp = client.post(API + "5/cameras/C1/reference/", headers=DEMO,
                       data={"upload": (io.BytesIO(jpeg_bytes()), "image.jpg")})
    assert resp.status_code == 201
    assert resp.json == {"message": "Reference image updated."}


def test_alerts_examples(client: FlaskClient) -> None:
    resp = client.get(API + "5/alerts/?sent=true", headers=DEMO)
    alerts = assert_page(resp.json)
    assert alerts and all(a["sent"] for a in alerts)
    assert list(alerts[0]) == ALERT_FIELDS
    assert list(alerts[0]["cameras"][0]) == ALERT_CAMERA_FIELDS
    resp = client.get(API + "5/alerts/?start=2026-04-01&end=2026-04-14", headers=DEMO)
    assert len(assert_page(resp.json)) == 5  # the -10d alert is in March
    resp = client.get(API + "5/alerts/?sent=true&start=2026-04-01&end=2026-04-14", headers=DEMO)
    assert resp.status_code == 200


def test_create_log_example(client: FlaskClient) -> None:
    resp = client.post(API + "create-log/", headers=DEMO, data={
        "camera_id": "camera1", "tag": "TAG-XX",
        "upload": (io.BytesIO(jpeg_bytes()), "image.png")})
    assert resp.status_code == 201
    assert resp.json == {"message": "Log created successfully."}
    assert resp.headers["Access-Control-Allow-Origin"] == "*"


def test_alert_example_shapes(client: FlaskClient) -> None:
    """The offline camera of the doc example: no snapshot, no reference."""
    alerts = client.get(API + "5/alerts/", headers=DEMO).json["results"]
    offline = next(a for a in alerts if a["cameras"][0]["serial"] == "Q2GV-EFGH-5678")
    assert offline["cameras"][0] == {"serial": "Q2GV-EFGH-5678", "name": "Parking Lot B",
                                     "status": "Offline", "anomalies": {}, "snapshot": None,
                                     "reference_image": None}
    covered = {k for a in alerts for c in a["cameras"] for k in c["anomalies"]}
    assert covered == {"Blur", "Obstruction", "Glare", "Position change"}
