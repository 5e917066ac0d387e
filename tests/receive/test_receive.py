"""Receive: content types, authentication, limits, bad input, duplicates."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from router.clock import ManualClock
from router.pipeline.runtime import Runtime
from router.receive.sample import SAMPLE_WEBHOOK
from router.store.schema import PENDING, alerts, dedup
from tests.support.entry import ENTRIES, make_app

URL = "/webhooks/visionalert"
SECRET = "s3cret-webhook-token"


def stored(runtime: Runtime) -> tuple[int, int]:
    with runtime.db.read() as conn:
        return (
            conn.execute(select(func.count()).select_from(alerts)).scalar_one(),
            conn.execute(select(func.count()).select_from(alerts).where(PENDING)).scalar_one(),
        )


def payload_of(runtime: Runtime, alert_id: int) -> dict[str, Any]:
    with runtime.db.read() as conn:
        return conn.execute(select(alerts.c.payload).where(alerts.c.id == alert_id)).scalar_one()


@pytest.fixture(params=ENTRIES)
def entry(request: pytest.FixtureRequest) -> str:
    """Every test here runs through both entry points (tests/support/entry.py)."""
    return str(request.param)


@pytest.fixture
def app(runtime: Runtime, entry: str) -> Flask:
    return make_app(runtime, entry)


def variant(**changes: Any) -> dict[str, Any]:
    body = json.loads(json.dumps(SAMPLE_WEBHOOK))
    body.update(changes)
    return body


# -- content types -----------------------------------------------------------------

def test_three_content_types_give_the_same_normalised_alert(client: FlaskClient,
                                                           runtime: Runtime) -> None:
    body = variant(extra_field={"kept": True})
    body["cameras"][0]["anomaly"] = "OBSTRUCTION"
    body["cameras"][0]["firmware"] = "1.2"
    text = json.dumps(body)
    answers = [
        client.post(URL, data=text, content_type="application/json"),
        client.post(URL, data={"json": text}, content_type="multipart/form-data"),
        client.post(URL, data={"json": text}, content_type="application/x-www-form-urlencoded"),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.json
        assert answer.json["status"] == "accepted"
    # Same content is a duplicate whatever the content type: one alert, three answers.
    assert [a.json.get("duplicate", False) for a in answers] == [False, True, True]
    normalised = payload_of(runtime, answers[0].json["alert_id"])
    assert normalised["extra"] == {"extra_field": {"kept": True}}
    camera = normalised["cameras"][0]
    assert camera["anomaly"] == "OBSTRUCTION"
    assert camera["anomalies"] == ["Obstruction"]
    assert camera["status"] == "anomaly"
    assert camera["extra"] == {"firmware": "1.2"}


@pytest.mark.parametrize("kind", ["json", "multipart", "form", "multipart-file"])
def test_each_content_type_alone_stores_identical_payload(
        make_runtime: Callable[..., Runtime], kind: str, entry: str) -> None:
    runtime = make_runtime(dedup_window=0)
    client = make_app(runtime, entry).test_client()
    text = json.dumps(SAMPLE_WEBHOOK)
    if kind == "json":
        answer = client.post(URL, data=text, content_type="application/json")
    elif kind == "multipart":
        answer = client.post(URL, data={"json": text}, content_type="multipart/form-data")
    elif kind == "multipart-file":
        from io import BytesIO
        answer = client.post(URL, data={"json": (BytesIO(text.encode()), "payload.json")},
                             content_type="multipart/form-data")
    else:
        answer = client.post(URL, data={"json": text},
                             content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200, answer.json
    normalised = payload_of(runtime, answer.json["alert_id"])
    assert normalised == {
        "license": "LIC-ABC123", "user": "user@example.com", "anomaly": "Offline",
        "status": "offline", "anomalies": [], "extra": {},
        "cameras": [{
            "serial": "d3905c1c-1f78-dea5-26e8-b4917e5e282b", "name": "Cam-01",
            "anomaly": "Offline", "status": "offline", "anomalies": [], "tags": ["site-a"],
            "reference_image": None, "latest_image": None, "extra": {},
        }],
    }


def test_unknown_anomaly_is_kept_not_rejected(client: FlaskClient, runtime: Runtime) -> None:
    body = variant(anomaly="Lens  Cracked")
    del body["cameras"][0]["anomaly"]  # inherits the alert's label
    answer = client.post(URL, json=body)
    assert answer.status_code == 200
    camera = payload_of(runtime, answer.json["alert_id"])["cameras"][0]
    assert camera["anomalies"] == ["Lens Cracked"]
    assert camera["anomaly"] == "Lens  Cracked"


# -- authentication ------------------------------------------------------------------

@pytest.fixture
def secured(make_runtime: Callable[..., Runtime], entry: str) -> tuple[FlaskClient, Runtime]:
    runtime = make_runtime(webhook_token=SECRET, dedup_window=0)
    return make_app(runtime, entry).test_client(), runtime


@pytest.mark.parametrize("url,headers", [
    (URL, {"Authorization": f"Token {SECRET}"}),
    (URL, {"Authorization": f"Bearer {SECRET}"}),
    (URL, {"X-Router-Token": SECRET}),
    (f"{URL}/{SECRET}", {}),
])
def test_each_token_form_is_accepted(secured: tuple[FlaskClient, Runtime], url: str,
                                     headers: dict[str, str]) -> None:
    client, runtime = secured
    answer = client.post(url, json=SAMPLE_WEBHOOK, headers=headers)
    assert answer.status_code == 200
    assert stored(runtime) == (1, 1)


@pytest.mark.parametrize("url,headers", [
    (URL, {}),
    (URL, {"Authorization": "Token wrong"}),
    (URL, {"Authorization": f"Basic {SECRET}"}),
    (URL, {"X-Router-Token": SECRET[:-1]}),
    (f"{URL}/wrong", {}),
])
def test_missing_or_wrong_token_is_401_and_stores_nothing(
        secured: tuple[FlaskClient, Runtime], url: str, headers: dict[str, str]) -> None:
    client, runtime = secured
    answer = client.post(url, json=SAMPLE_WEBHOOK, headers=headers)
    assert answer.status_code == 401
    assert "webhook token" in answer.json["error"]
    assert SECRET not in answer.get_data(as_text=True)
    assert stored(runtime) == (0, 0)


def test_open_endpoint_without_configured_token(client: FlaskClient) -> None:
    assert client.post(URL, json=SAMPLE_WEBHOOK).status_code == 200


# -- limits and bad input --------------------------------------------------------------

def test_body_over_limit_is_413(make_runtime: Callable[..., Runtime], entry: str) -> None:
    runtime = make_runtime(max_body_bytes=2048)
    client = make_app(runtime, entry).test_client()
    big = variant(padding="x" * 4000)
    for answer in (
        client.post(URL, data=json.dumps(big), content_type="application/json"),
        client.post(URL, data={"json": json.dumps(big)}, content_type="multipart/form-data"),
    ):
        assert answer.status_code == 413
        assert answer.json["error"] == "body is larger than 2048 bytes (ROUTER_MAX_BODY_BYTES)"
    assert stored(runtime) == (0, 0)


def _camera(**fields: Any) -> dict[str, Any]:
    return variant(cameras=[{"name": "Cam-01", **fields}])


BAD_BODIES = [
    ("invalid json", b'{"license": "L", "cameras": [', "application/json",
     "body is not valid JSON: Expecting value at line 1 column 30", None),
    ("json array", b"[1, 2]", "application/json",
     "body must be a JSON object, got array", "$"),
    ("missing cameras", json.dumps({"license": "L"}).encode(), "application/json",
     "cameras is required", "cameras"),
    ("empty cameras", json.dumps({"license": "L", "cameras": []}).encode(), "application/json",
     "cameras must list at least one camera", "cameras"),
    ("camera without serial", json.dumps(_camera()).encode(), "application/json",
     "cameras[0].serial is required", "cameras[0].serial"),
    ("tags not a list", json.dumps(_camera(serial="S1", tags="site-a")).encode(),
     "application/json", "cameras[0].tags must be a list, got string", "cameras[0].tags"),
    ("serial not a string", json.dumps(_camera(serial=12)).encode(), "application/json",
     "cameras[0].serial must be a string, got number", "cameras[0].serial"),
    ("cameras not a list", json.dumps({"license": "L", "cameras": {}}).encode(),
     "application/json", "cameras must be a list, got object", "cameras"),
    ("missing license", json.dumps({"cameras": [{"serial": "S"}]}).encode(), "application/json",
     "license is required", "license"),
    ("non-utf8", b'{"license": "L\xff\xfe", "cameras": []}', "application/json",
     "body is not valid UTF-8 (byte 14): send JSON encoded as UTF-8", None),
    ("empty body", b"", "application/json",
     "body is empty: expected a JSON object with a 'cameras' array", None),
]


@pytest.mark.parametrize("name,body,content_type,message,field", BAD_BODIES,
                         ids=[b[0] for b in BAD_BODIES])
def test_bad_body_is_400_with_specific_message(client: FlaskClient, runtime: Runtime,
                                               name: str, body: bytes, content_type: str,
                                               message: str, field: str | None) -> None:
    answer = client.post(URL, data=body, content_type=content_type)
    assert answer.status_code == 400
    assert answer.json == {"error": message, "detail": {"field": field}}
    assert stored(runtime) == (0, 0)


def test_form_without_json_field_is_400(client: FlaskClient, runtime: Runtime) -> None:
    answer = client.post(URL, data={"payload": "{}"}, content_type="multipart/form-data")
    assert answer.status_code == 400
    assert answer.json["error"].startswith("multipart/form-data body has no 'json' field")
    assert stored(runtime) == (0, 0)


def test_bad_json_inside_form_is_400(client: FlaskClient, runtime: Runtime) -> None:
    answer = client.post(URL, data={"json": "[]"},
                         content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 400
    assert answer.json["error"] == "body must be a JSON object, got array"
    assert stored(runtime) == (0, 0)


# -- duplicates ------------------------------------------------------------------------

def test_identical_body_within_window_is_a_duplicate(make_runtime: Callable[..., Runtime],
                                                     entry: str) -> None:
    clock = ManualClock()
    runtime = make_runtime(clock=clock, dedup_window=600)
    client = make_app(runtime, entry).test_client()
    first = client.post(URL, json=SAMPLE_WEBHOOK)
    clock.advance(599)
    second = client.post(URL, json=SAMPLE_WEBHOOK)
    assert first.json == {"status": "accepted", "alert_id": first.json["alert_id"]}
    assert second.json == {"status": "accepted", "alert_id": first.json["alert_id"],
                           "duplicate": True}
    assert stored(runtime) == (1, 1)
    with runtime.db.read() as conn:
        assert conn.execute(select(alerts.c.duplicates)).scalar_one() == 1
    # Another license with the same cameras is not a duplicate.
    other = client.post(URL, json=variant(license="LIC-OTHER"))
    assert "duplicate" not in other.json
    # After the window the same body is a new alert.
    clock.advance(2)
    third = client.post(URL, json=SAMPLE_WEBHOOK)
    assert "duplicate" not in third.json
    assert third.json["alert_id"] != first.json["alert_id"]
    assert stored(runtime) == (3, 3)
    with runtime.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(dedup)).scalar_one() == 2
