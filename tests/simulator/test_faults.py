from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from router.clock import ManualClock
from router.simulator.faults import FaultConfig, Faults

from .conftest import API, DEMO


def test_next_errors(client: FlaskClient) -> None:
    assert client.put("/_sim/faults", json={"next_errors": 2, "error_status": 502}
                      ).status_code == 200
    codes = [client.get(API + "licenses/", headers=DEMO).status_code for _ in range(3)]
    assert codes == [502, 502, 200]
    assert client.get("/_sim/stats").json["faults"] == {"error": 2}


def test_injected_429(client: FlaskClient) -> None:
    client.put("/_sim/faults", json={"next_429": 1, "retry_after": 7})
    resp = client.get(API + "licenses/", headers=DEMO)
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "7"
    assert client.get(API + "licenses/", headers=DEMO).status_code == 200
    assert client.get("/_sim/stats").json["responses_429"] == 1


def test_error_rate_is_reproducible(client: FlaskClient) -> None:
    def run() -> list[int]:
        client.put("/_sim/faults", json={"error_rate": 0.5, "seed": 3})
        return [client.get(API + "licenses/", headers=DEMO).status_code for _ in range(20)]

    first = run()
    assert set(first) == {200, 503} and run() == first
    client.delete("/_sim/faults")
    assert client.get(API + "licenses/", headers=DEMO).status_code == 200


def test_latency_uses_injected_clock(client: FlaskClient, clock: ManualClock) -> None:
    client.put("/_sim/faults", json={"latency": 2.5})
    before = clock.now()
    assert client.get(API + "licenses/", headers=DEMO).status_code == 200
    assert clock.now() - before == 2.5
    assert client.get("/_sim/faults").json["latency"] == 2.5


def test_counted_hangs_then_normal(client: FlaskClient) -> None:
    client.put("/_sim/faults", json={"hang": 0.01, "hang_next": 1})
    assert client.get(API + "licenses/", headers=DEMO).status_code == 504
    assert client.get(API + "licenses/", headers=DEMO).status_code == 200


def test_faults_do_not_touch_media_or_controls(client: FlaskClient) -> None:
    client.put("/_sim/faults", json={"error_rate": 1.0})
    assert client.get("/_sim/stats").status_code == 200
    url = client.get("/_sim/faults")
    assert url.status_code == 200


@pytest.mark.parametrize("bad", [{"latency": -1}, {"error_rate": 2}, {"error_status": 404},
                                 {"bogus": 1}, {"next_errors": -1}])
def test_bad_fault_settings(client: FlaskClient, bad: dict[str, object]) -> None:
    resp = client.put("/_sim/faults", json=bad)
    assert resp.status_code == 400 and resp.json["error"] == "bad_request"


def test_fault_config_at_start(make_app: object) -> None:
    app = make_app(faults=FaultConfig(next_errors=1))  # type: ignore[operator]
    client = app.test_client()
    assert client.get(API + "licenses/", headers=DEMO).status_code == 503


def test_release_ends_hang_early() -> None:
    faults = Faults(FaultConfig(hang=30))
    fault = faults.pick()
    assert fault is not None and fault.kind == "hang" and fault.hang == 30
    faults.release()
    faults.wait_hang(fault.hang)  # returns at once after release
