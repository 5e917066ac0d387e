"""The simulator as a real HTTP server: SimulatorServer and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from router.simulator import FaultConfig, SimulatorConfig, SimulatorServer
from router.simulator.cli import simulator_command

from .conftest import DEMO
from .sink import Sink


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(rate_limit=1)) as srv:
        yield srv


def test_real_http_round_trip(server: SimulatorServer) -> None:
    assert server.base_url == f"http://127.0.0.1:{server.port}/v1/vision-alert/"
    with httpx.Client(base_url=server.base_url, headers=DEMO, timeout=5) as http:
        licenses = http.get("licenses/")
        assert licenses.status_code == 200 and licenses.json()[0]["id"] == 7
        throttled = http.get("5/alerts/")  # 1 request/second per token
        assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
        server.context.limiter.set_rate(0)
        page = http.get("5/alerts/", params={"page_size": 2}).json()
        assert page["next"].startswith(server.base_url + "5/alerts/?page_size=2&cursor=")
        image_url = page["results"][0]["cameras"][0]["snapshot"]
        image = http.get(image_url)
        assert image.headers["content-type"] == "image/jpeg"
        assert image.content[:3] == b"\xff\xd8\xff" and image.content[-2:] == b"\xff\xd9"
        assert http.get(page["next"]).status_code == 200
    stats = httpx.get(server.url + "/_sim/stats").json()
    assert stats["responses_429"] == 1 and stats["requests"]["GET /media/<path:path>"] == 1


def test_hang_outlasts_client_timeout() -> None:
    config = SimulatorConfig(rate_limit=0, faults=FaultConfig(hang=30, hang_next=1))
    with SimulatorServer(config) as srv:
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(srv.base_url + "licenses/", headers=DEMO, timeout=0.2)
        srv.context.faults.release()  # unblock the hanging worker thread
        assert httpx.get(srv.base_url + "licenses/", headers=DEMO, timeout=5).status_code == 200


def test_startup_webhooks_from_scenario() -> None:
    sink = Sink()
    try:
        config = SimulatorConfig(rate_limit=0, webhook_target=sink.url, webhook_format="form",
                                 webhook_token="s3cret")
        with SimulatorServer(config) as srv:
            results = srv.send_startup_webhooks()
            assert [r.status for r in results] == [200, 200, 200]
        payloads = [json.loads(r.form["json"]) for r in sink.received]
        assert [p["anomaly"] for p in payloads] == ["Offline", "Blur", "Position change"]
        first_image = payloads[1]["cameras"][0]["latest_image"]
        assert first_image.startswith(srv.url + "/media/camera_snapshot/")
        assert all(r.authorization == "Token s3cret" for r in sink.received)
    finally:
        sink.close()


def test_cli_help_lists_options() -> None:
    result = CliRunner().invoke(simulator_command, ["--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--scenario", "--token", "--rate-limit",
                   "--webhook-target", "--webhook-format", "--webhook-token"):
        assert option in result.output


def test_cli_rejects_bad_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(simulator_command, ["--faults", "[1]"])
    assert result.exit_code == 2 and "JSON object" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"users": []}')
    result = CliRunner().invoke(simulator_command, ["--scenario", str(bad), "--port", "0"])
    assert result.exit_code == 1 and "invalid scenario" in result.output


def test_cli_serves_http() -> None:
    code = "from router.simulator.cli import simulator_command; simulator_command()"
    proc = subprocess.Popen([sys.executable, "-c", code, "--port", "0", "--token", "cli-token"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        url = first.rsplit(" ", 1)[-1].strip()
        assert url.startswith("http://127.0.0.1:")
        resp = httpx.get(url + "/v1/vision-alert/licenses/",
                         headers={"Authorization": "Token cli-token"}, timeout=5)
        assert resp.status_code == 200 and len(resp.json()) == 2
    finally:
        proc.terminate()
        proc.wait(timeout=10)
