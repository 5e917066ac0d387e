from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from router.errors import ScenarioError
from router.model import ANOMALY_TYPES
from router.simulator import SimulatorConfig, create_app
from router.simulator.context import sim_of
from router.simulator.frames import camera_frame, sniff_image
from router.simulator.scenario import load_scenario, resolve_time

NOW = datetime(2026, 4, 10, 12, tzinfo=UTC)


def test_default_scenario_coverage() -> None:
    ctx = sim_of(create_app(SimulatorConfig(rate_limit=0)))
    state = ctx.state
    demo = state.user_by_token("demo-token")
    assert demo is not None and len(state.licenses_of(demo.id)) >= 2
    cams = [c for lic in state.licenses_of(demo.id) for c in state.cameras_of(lic.id)]
    assert len(cams) >= 20 and all(c.tags for c in cams)
    assert {"site-a", "site-b"} <= {t for c in cams for t in c.tags}
    kinds = {k for a in state.alerts.values() for c in a.cameras for k in c.anomalies}
    assert kinds == set(ANOMALY_TYPES)
    assert any(state.latest_status(c.id) == "offline" for c in cams)
    assert any(c.reference is None for c in cams)


def test_resolve_time() -> None:
    assert resolve_time("now", NOW) == NOW
    assert resolve_time("-1d2h30m", NOW) == NOW - timedelta(days=1, hours=2, minutes=30)
    assert resolve_time("+365d", NOW) == NOW + timedelta(days=365)
    assert resolve_time("2026-01-15T10:30:00Z", NOW) == datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
    with pytest.raises(ScenarioError, match="bad time"):
        resolve_time("yesterday", NOW)


def test_json_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"users": [{"email": "a@b.c", "token": "t", "licenses": [
        {"code": "L1", "id": 3, "cameras": [{"serial": "S1", "history": None,
                                              "logs": [{"at": "-1h", "status": "offline"}]}],
         "alerts": [{"at": "-30m", "cameras": [{"serial": "S1", "status": "offline"}]}]}]}]}))
    app = create_app(SimulatorConfig(scenario=path, rate_limit=0))
    client = app.test_client()
    resp = client.get("/v1/vision-alert/3/alerts/", headers={"Authorization": "Token t"})
    assert resp.json["results"][0]["cameras"][0]["status"] == "Offline"


def test_yaml_scenario_file_and_token_override(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("users:\n  - email: a@b.c\n    token: t\n    licenses: [{code: L1}]\n")
    app = create_app(SimulatorConfig(scenario=path, token="new", rate_limit=0))
    client = app.test_client()
    assert client.get("/v1/vision-alert/licenses/", headers={"Authorization": "Token new"}
                      ).json[0]["code"] == "L1"


@pytest.mark.parametrize(("data", "message"), [
    ({"users": []}, "users"),
    ({"users": [{"email": "a", "token": "t", "licenses": [{"code": "L", "cameras": [
        {"serial": "S", "logs": [{"at": "-1h", "status": "weird"}]}]}]}]}, "unknown status"),
    ({"users": [{"email": "a", "token": "t", "licenses": [{"code": "L", "alerts": [
        {"at": "-1h", "cameras": [{"serial": "ghost"}]}]}]}]}, "unknown camera ghost"),
    ({"users": [{"email": "a", "token": "t"}, {"email": "b", "token": "t"}]}, "used twice"),
    ({"users": [{"email": "a", "token": "t", "extra": 1}]}, "extra"),
])
def test_invalid_scenarios(data: dict[str, object], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        create_app(SimulatorConfig(scenario=data))


def test_unreadable_and_unparsable(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("users: [\n")
    with pytest.raises(ScenarioError, match="cannot parse"):
        load_scenario(broken)


def test_bad_timezone() -> None:
    with pytest.raises(ScenarioError, match="unknown timezone"):
        create_app(SimulatorConfig(timezone="Mars/Base"))


def _sof_dimensions(data: bytes) -> tuple[int, int]:
    i = 2
    while i < len(data):
        marker, length = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
        if marker == 0xC0:
            return (int.from_bytes(data[i + 7:i + 9], "big"),
                    int.from_bytes(data[i + 5:i + 7], "big"))
        i += 2 + length
    raise AssertionError("no SOF0 marker")


@pytest.mark.parametrize("variant", ["normal", *ANOMALY_TYPES, "Offline"])
def test_generated_jpegs_are_wellformed(variant: str) -> None:
    data = camera_frame("cam", variant)
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
    assert sniff_image(data) == ("image/jpeg", "jpg")
    assert _sof_dimensions(data) == (160, 120)
    assert 300 < len(data) < 5000
    assert camera_frame("cam", variant) == data  # deterministic per camera


def test_variants_differ() -> None:
    frames = {camera_frame("cam", v) for v in ["normal", *ANOMALY_TYPES]}
    assert len(frames) == 5
