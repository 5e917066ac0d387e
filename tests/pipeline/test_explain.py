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
    (camera,) = response.get_json()["cameras"]
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
    assert response.get_json()["error"].startswith(message)


def test_explain_api_needs_the_admin_token(admin: FlaskClient) -> None:
    assert admin.post("/api/v1/explain", json={"payload": SAMPLE_WEBHOOK}).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert admin.post("/api/v1/explain", json={}, headers=wrong).status_code == 403


# --- per target: the family and the message the worker would send ----------------

SLACK = "slack://T000/B000/XXXX"
SLACK_BLOCKS = "slack://T000/B000/XXXX?blocks=yes"
TWILIO = f"twilio://AC{'a' * 32}:{'b' * 32}@+15550001111/+15550002222"
AT = "2024-03-04T10:00:00Z"


@pytest.fixture
def channel_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped rules with a Slack webhook (noc), an SMS (site A) and Slack blocks."""
    monkeypatch.setenv("ROUTER_NOC_URL", SLACK)
    monkeypatch.setenv("ROUTER_SITE_A_URL", TWILIO)
    monkeypatch.setenv("ROUTER_CONSOLE_URL", SLACK_BLOCKS)


def _worker_render(url: str, serial: str, route: str, receiver: str) -> Any:
    """The render call the worker makes for this target (router/pipeline/notify.py)."""
    from router.channels.render import chosen_template, render_for_target
    from router.pipeline.explain import FIRST_REASON, build_events, parse_at
    from router.rules.loader import load_rules

    rules = load_rules(ROOT / "rules.yaml")
    options = {r.name: r for r in rules.walk()}[route].options
    (event,) = [e for e in build_events(PAYLOAD) if e.serial == serial]
    now = parse_at(AT).timestamp()
    return render_for_target(url, [event], receiver=receiver, route=route,
                             template=chosen_template(rules.receivers[receiver], options),
                             kind="firing", reason=FIRST_REASON, timezone=options.timezone,
                             at=now, now=now)


def _messages(camera: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["receiver"]: m for r in camera["receivers"] for m in r["messages"]}


@pytest.mark.usefixtures("channel_targets")
def test_each_target_shows_its_family_and_what_the_worker_would_send(tmp_path: Path) -> None:
    gate, lobby = run_explain(tmp_path, "--at", AT)["cameras"]
    slack = _messages(gate)["noc"]
    worker = _worker_render(SLACK, "cam-1", "offline", "noc")
    assert slack["family"] == worker.family == "slack"
    assert (slack["title"], slack["body"]) == (worker.title, worker.body)
    assert slack["title"] == "[LIC-ABC123] Gate: offline"
    assert slack["body"].startswith(":rotating_light: **Gate**: offline")  # Slack's own layout
    assert slack["attachment"] == {"title": worker.title, "text": worker.body}
    assert slack["target"].startswith("slack://T...0/B...0/X...X")
    # The generic rendering is still there, and differs from what Slack receives.
    assert gate["receivers"][0]["body"] != slack["body"]

    by_receiver = _messages(lobby)
    sms = by_receiver["site-a-oncall"]
    worker = _worker_render(TWILIO, "cam-2", "site-a-view-blocked", "site-a-oncall")
    assert sms["family"] == "sms"
    assert sms["text"] == sms["body"] == worker.body == "Lobby: Blur"  # the template's sms body
    assert sms["sms"] == {"encoding": "gsm7", "units": 11, "segments": 1}

    blocks = by_receiver["console"]
    worker = _worker_render(SLACK_BLOCKS, "cam-2", "everything-else", "console")
    assert blocks["family"] == "slack"
    header, section = blocks["blocks"]
    assert header["text"]["text"] == worker.title == "[LIC-ABC123] Lobby: Blur"
    assert section == {"type": "section", "text": {"type": "mrkdwn", "text": worker.body}}


@pytest.mark.usefixtures("channel_targets")
def test_explain_text_format_shows_each_target(tmp_path: Path) -> None:
    (tmp_path / "payload.json").write_text(json.dumps(PAYLOAD))
    result = CliRunner().invoke(explain_command, [str(tmp_path / "payload.json"), "--rules",
                                                  str(ROOT / "rules.yaml"), "--at", AT,
                                                  "--format", "text"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "→ noc via offline\n    target slack://T...0/B...0/X...X" in out
    assert "[slack]\n      title: [LIC-ABC123] Gate: offline\n      body (attachment):\n" \
        "        :rotating_light: **Gate**: offline\n" in out
    assert "[sms]\n      text (1 segment(s), 11 gsm7 units):\n        Lobby: Blur\n" in out
    assert "body (Block Kit):" in out
    assert "a" * 32 not in out and "b" * 32 not in out


def test_email_and_teams_targets_show_their_parts(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTER_NOC_URL", "mailto://user:mail-secret-77@example.com")
    monkeypatch.setenv("ROUTER_CONSOLE_URL", "workflows://host.example.com/wf/sig")
    out = run_explain(tmp_path, "--at", AT)
    gate, lobby = out["cameras"]
    mail = _messages(gate)["noc"]
    assert mail["family"] == "email" and mail["html"].startswith("<")
    assert mail["text"] == mail["body"] and "Gate" in mail["text"]
    card = _messages(lobby)["console"]
    assert card["family"] == "teams" and card["card"]["type"] == "AdaptiveCard"
    assert card["card"]["body"][0]["text"] == card["title"]
    assert "mail-secret-77" not in json.dumps(out)


def test_the_worker_chooses_the_template_with_the_same_function() -> None:
    from router.channels import render
    from router.pipeline import notify

    # The worker imports the one choice (a second copy of it is what this test forbids).
    assert vars(notify)["chosen_template"] is render.chosen_template


def test_explain_api_shows_each_target(channel_targets: None, admin: FlaskClient) -> None:
    response = admin.post("/api/v1/explain", json={"payload": PAYLOAD, "at": AT}, headers=AUTH)
    body = response.get_json()
    assert response.status_code == 200, body
    gate, lobby = body["cameras"]
    assert [(m["family"], m["title"]) for m in gate["receivers"][0]["messages"]] == [
        ("slack", "[LIC-ABC123] Gate: offline")]
    assert _messages(lobby)["site-a-oncall"]["text"] == "Lobby: Blur"
    assert "a" * 32 not in response.text


def test_a_failing_custom_template_shows_the_default_each_target_gets(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text('receivers: {r: {urls: ["slack://T000/B000/XXXX"], body: "{{ nope }}"}}\n'
                     "routes: [{receivers: [r]}]\n")
    (tmp_path / "payload.json").write_text(json.dumps(PAYLOAD))
    result = CliRunner().invoke(explain_command, [str(tmp_path / "payload.json"), "--rules",
                                                  str(rules), "--at", AT])
    assert result.exit_code == 0, result.output
    (receiver,) = json.loads(result.output)["cameras"][0]["receivers"]
    assert "nope" in receiver["render_error"]  # the receiver's own text fails
    (message,) = receiver["messages"]  # the worker falls back to Slack's default, and says so
    assert message["body"].startswith(":rotating_light: **Gate**")
    assert message["notes"] and "default used" in message["notes"][0]
