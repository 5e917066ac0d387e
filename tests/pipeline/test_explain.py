"""explain: CLI and POST /api/v1/explain on the shipped rules; sends nothing, no secrets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from router.cli.rules import explain_command
from router.pipeline.runtime import Runtime
from router.receive.sample import SAMPLE_WEBHOOK

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "admin-secret-token"
PAYLOAD = {"license": "LIC-ABC123", "cameras": [
    {"serial": "cam-1", "name": "Gate", "anomaly": "Offline", "tags": ["site-a"]},
    {"serial": "cam-2", "name": "Lobby", "anomaly": "Blur", "tags": ["site-a"]},
]}


def run_explain(tmp_path: Path, *args: str, payload: Any = PAYLOAD,
                enrichment: Any = None) -> Any:
    (tmp_path / "payload.json").write_text(json.dumps(payload))
    argv = [str(tmp_path / "payload.json"), "--rules", str(ROOT / "rules.yaml"), *args]
    if enrichment is not None:
        (tmp_path / "enrichment.json").write_text(json.dumps(enrichment))
        argv += ["--enrichment", str(tmp_path / "enrichment.json")]
    result = CliRunner().invoke(explain_command, argv)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_explain_the_shipped_rules(tmp_path: Path) -> None:
    out = run_explain(tmp_path, "--at", "2024-03-04T10:00:00Z")
    gate, lobby = out["cameras"]
    assert out["at"] == "2024-03-04T10:00:00+00:00"
    assert gate["routes"] == [{"route": "offline", "matched": True,
                               "reason": "status any [offline]"}]
    assert [(r["route"], r["receiver"], r["targets"]) for r in gate["receivers"]] == [
        ("offline", "noc", ["log://"])]
    assert gate["receivers"][0]["title"] == "[LIC-ABC123] Gate: offline"
    assert gate["receivers"][0]["options"]["group_wait"] == 5.0
    # The first failing matcher of each route that did not match:
    assert lobby["routes"] == [
        {"route": "offline", "matched": False, "reason": "status: anomaly not in [offline]"},
        {"route": "site-a-view-blocked", "matched": True,
         "reason": "tags any [site-a]; anomalies any [Obstruction, Blur]"},
        {"route": "site-a-out-of-hours", "matched": False,
         "reason": "time: Mon 10:00 Europe/London is outside out-of-hours"},
        {"route": "everything-else", "matched": True, "reason": "catch-all"},
    ]
    assert [r["title"] for r in lobby["receivers"]] == ["[site A] Lobby: Blur",
                                                        "[LIC-ABC123] Lobby: Blur"]


def test_explain_with_enrichment(tmp_path: Path) -> None:
    out = run_explain(tmp_path, "--at", "1709582400", enrichment={
        "cam-2": {"anomalies": {"blur": 0.92}, "snapshot_url": "https://x/s.jpg"}})
    lobby = out["cameras"][1]
    assert lobby["anomalies"] == {"Blur": 0.92}
    assert lobby["enriched"] is True
    assert "Blur 92%" in lobby["receivers"][0]["body"]


def test_explain_shows_targets_only_in_privacy_form(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTER_NOC_URL", "json://user:canary-pass-123@127.0.0.1:9/hook")
    out = run_explain(tmp_path)
    text = json.dumps(out)
    assert "canary-pass-123" not in text
    assert out["cameras"][0]["receivers"][0]["targets"][0].startswith("json://user:")


def test_explain_bad_input_says_what(tmp_path: Path) -> None:
    (tmp_path / "payload.json").write_text(json.dumps({"license": "L", "cameras": []}))
    result = CliRunner().invoke(explain_command, [str(tmp_path / "payload.json"), "--rules",
                                                  str(ROOT / "rules.yaml")])
    assert result.exit_code == 1
    assert "cameras must list at least one camera" in result.output
    result = CliRunner().invoke(explain_command, [str(tmp_path / "absent.json"), "--rules",
                                                  str(ROOT / "rules.yaml")])
    assert result.exit_code == 1 and "cannot read payload" in result.output


@pytest.fixture
def admin(make_runtime: Any) -> FlaskClient:
    from router.app import create_app

    runtime: Runtime = make_runtime(admin_token=TOKEN, rules_file=ROOT / "rules.yaml")
    return create_app(runtime=runtime).test_client()


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_explain_api(admin: FlaskClient) -> None:
    body = {"payload": SAMPLE_WEBHOOK, "at": "2024-03-04T10:00:00Z",
            "enrichment": {SAMPLE_WEBHOOK["cameras"][0]["serial"]: {"notes": "cable cut"}}}
    response = admin.post("/api/v1/explain", json=body, headers=AUTH)
    assert response.status_code == 200, response.json
    (camera,) = response.json["cameras"]
    assert [r["receiver"] for r in camera["receivers"]] == ["noc"]
    assert camera["enriched"] is True


API_ERRORS = [
    ({}, 400, "expected a JSON object with 'payload'"),
    ({"payload": {"license": "L"}}, 400, "payload: cameras is required"),
    ({"payload": SAMPLE_WEBHOOK, "at": "yesterday"}, 400, "at: expected an ISO 8601 time"),
    ({"payload": SAMPLE_WEBHOOK, "enrichment": {"nope": {}}}, 400,
     "enrichment['nope']: no camera with this serial"),
    ({"payload": SAMPLE_WEBHOOK, "extra": 1}, 400, "unknown key(s): extra"),
]


@pytest.mark.parametrize(("body", "status", "message"), API_ERRORS)
def test_explain_api_errors(admin: FlaskClient, body: dict[str, Any], status: int,
                            message: str) -> None:
    response = admin.post("/api/v1/explain", json=body, headers=AUTH)
    assert response.status_code == status
    assert response.json["error"].startswith(message)


def test_explain_api_needs_the_admin_token(admin: FlaskClient) -> None:
    assert admin.post("/api/v1/explain", json={"payload": SAMPLE_WEBHOOK}).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert admin.post("/api/v1/explain", json={}, headers=wrong).status_code == 403
