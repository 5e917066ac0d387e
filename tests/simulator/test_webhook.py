from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from router.simulator.webhook import send_webhook

from .conftest import API, DEMO
from .sink import Sink

CAMERA_KEYS = ["serial", "name", "anomaly", "tags", "reference_image", "latest_image"]


@pytest.fixture
def sink() -> Iterator[Sink]:
    s = Sink()
    yield s
    s.close()


def _payload(received: Any) -> Any:
    if received.json is not None:
        return received.json
    return json.loads(received.form["json"])


@pytest.mark.parametrize(("fmt", "content_type"), [
    ("json", "application/json"),
    ("multipart", "multipart/form-data"),
    ("form", "application/x-www-form-urlencoded"),
])
def test_alert_webhook_in_each_format(client: FlaskClient, sink: Sink, fmt: str,
                                      content_type: str) -> None:
    resp = client.post("/_sim/alerts", json={
        "license": "LIC-ABC123",
        "cameras": [{"serial": "Q2GV-BLUR-0005", "anomalies": {"Blur": 0.91, "Glare": 0.3}},
                    {"serial": "Q2GV-EFGH-5678", "status": "offline"}],
        "webhook": {"target": sink.url, "format": fmt, "token": "hook-secret"}})
    assert resp.status_code == 201
    assert resp.json["webhook"]["status"] == 200 and resp.json["sent"] is True
    (got,) = sink.received
    assert got.content_type.startswith(content_type)
    assert got.authorization == "Token hook-secret"
    payload = _payload(got)
    assert list(payload) == ["license", "user", "anomaly", "cameras"]
    assert payload["license"] == "LIC-ABC123" and payload["user"] == "demo@example.com"
    blur, offline = payload["cameras"]
    assert list(blur) == CAMERA_KEYS
    assert blur["anomaly"] == "Blur" and blur["tags"] == ["site-b"]
    assert blur["latest_image"].startswith("http://localhost/media/camera_snapshot/")
    assert blur["reference_image"].startswith("http://localhost/media/camera_reference/")
    assert offline == {"serial": "Q2GV-EFGH-5678", "name": "Parking Lot B", "anomaly": "Offline",
                       "tags": ["site-a", "parking"], "reference_image": None,
                       "latest_image": None}
    assert payload["anomaly"] == "Blur"  # mixed labels: the first camera's
    if fmt == "multipart":
        assert got.files["upload"].startswith(b"\xff\xd8")
    # The new alert is listed by the API with the same images.
    listed = client.get(API + "5/alerts/", headers=DEMO).json["results"][0]
    assert listed["id"] == resp.json["id"]
    assert listed["cameras"][0]["snapshot"] == blur["latest_image"]


def test_alert_without_webhook_and_explicit_label(client: FlaskClient, sink: Sink) -> None:
    resp = client.post("/_sim/alerts", json={"license": "LIC-ABC123", "cameras": ["C1"],
                                             "anomaly": "Anomaly"})
    assert resp.status_code == 201 and resp.json["webhook"] is None and resp.json["sent"] is False
    assert resp.json["webhook_payload"]["anomaly"] == "Anomaly"
    assert resp.json["cameras"][0]["status"] == "Anomaly"
    again = client.post(f"/_sim/alerts/{resp.json['id']}/webhook", json={"target": sink.url})
    assert again.status_code == 200 and again.json["sent"] is True
    assert _payload(sink.received[0])["cameras"][0]["serial"] == "C1"


def test_alert_errors(client: FlaskClient) -> None:
    assert client.post("/_sim/alerts", json={"license": "NOPE", "cameras": ["C1"]}
                       ).status_code == 404
    assert client.post("/_sim/alerts", json={"license": "LIC-ABC123", "cameras": []}
                       ).status_code == 400
    assert client.post("/_sim/alerts", json={"license": "LIC-ABC123", "cameras": ["X9"]}
                       ).status_code == 404
    resp = client.post("/_sim/alerts", json={"license": "LIC-ABC123", "cameras": [
        {"serial": "C1", "anomalies": {"Smoke": 0.5}}]})
    assert resp.status_code == 400 and "Smoke" in resp.json["detail"]
    resp = client.post("/_sim/alerts", json={"license": "LIC-ABC123", "cameras": ["C1"],
                                             "webhook": True})
    assert resp.status_code == 400 and "webhook target" in resp.json["detail"]


def test_failed_delivery_is_reported_not_raised(client: FlaskClient, sink: Sink) -> None:
    sink.status = 500
    resp = client.post("/_sim/alerts", json={"license": "LIC-ABC123", "cameras": ["C1"],
                                             "webhook": {"target": sink.url}})
    assert resp.json["webhook"]["status"] == 500 and resp.json["webhook"]["ok"] is False
    assert resp.json["sent"] is False
    down = send_webhook("http://127.0.0.1:9/hook", {"a": 1}, timeout=2)
    assert down.status is None and down.error and not down.ok


def test_sim_log_makes_camera_recover(client: FlaskClient) -> None:
    resp = client.post("/_sim/logs", json={"license": "LIC-ABC123", "serial": "C1",
                                           "status": "normal"})
    assert resp.status_code == 201 and resp.json["status"] == "normal"
    cams = client.get(API + "5/cameras/?status=anomaly", headers=DEMO).json["results"]
    assert "C1" not in {c["serial"] for c in cams}


def test_bad_format_is_rejected() -> None:
    with pytest.raises(ValueError, match="webhook format"):
        send_webhook("http://127.0.0.1:9/", {}, "xml")
