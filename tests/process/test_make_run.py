"""`make run` serves on its embedded defaults, and the README's curl example works."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support.process import REPO, free_port

pytestmark = pytest.mark.slow


def readme_curl() -> str:
    text = (REPO / "README.md").read_text()
    match = re.search(r"<!-- readme-curl:.*?-->\s*```sh\n(.*?)```", text, re.S)
    assert match, "README.md lost its curl example"
    return match.group(1)


def test_make_run_serves_and_readme_curl_is_accepted(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "ROUTER_PORT": str(port),
           "ROUTER_DATABASE_URL": f"sqlite:///{tmp_path / 'router.db'}"}
    env.pop("ROUTER_RULES_FILE", None)  # the shipped rules.yaml
    log = open(tmp_path / "make-run.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(["make", "run"], cwd=REPO, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 240  # includes installing on a first run
        while True:
            assert proc.poll() is None, (tmp_path / "make-run.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "make run did not serve /healthz"
            time.sleep(0.2)

        curl = readme_curl().replace("127.0.0.1:8080", f"127.0.0.1:{port}")
        curl = curl.replace("curl ", "curl -w '\\n%{http_code}' ", 1)
        result = subprocess.run(["bash", "-c", curl],
                                capture_output=True, text=True, timeout=30)
        body, _, code = result.stdout.strip().rpartition("\n")
        assert code == "200", result
        assert '"status":"accepted"' in body.replace(" ", "")

        # The shipped rules send it to the log:// sink: the notification shows in the log.
        deadline = time.monotonic() + 30
        while "Cam-01" not in (tmp_path / "make-run.log").read_text():
            assert time.monotonic() < deadline, (tmp_path / "make-run.log").read_text()
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
