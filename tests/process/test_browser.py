"""The dashboard in real headless Chromium (Debian's, driven by Playwright).

One on-call journey against a live router (real HTTP server and worker thread),
the VisionAlert simulator as upstream (it serves real JPEGs) and loopback
sinks as targets: log in, open an alert, see snapshot and reference loaded,
silence the camera, see the next webhook recorded as silenced, expire the
silence, replay a dead letter and see it delivered. Screenshots of the
overview and the alert page are written to a temporary folder (paths printed).

Nothing is installed at run time: ``.ci/run`` installs Debian ``chromium``.
"""

from __future__ import annotations

import os
import shutil
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from werkzeug.serving import make_server

from router.app import create_app
from router.clock import SystemClock
from router.pipeline.runtime import Runtime
from router.pipeline.worker import Worker
from router.simulator import SimulatorConfig, SimulatorServer
from tests.support.httpsink import HttpSink
from tests.web.fixtures import (
    ADMIN,
    LINK_KEY,
    TARGET_PASSWORD,
    TARGET_TOKEN,
    UPSTREAM,
    WEBHOOK,
    assert_no_canary,
)

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
LICENSE, SERIAL, NAME = "LIC-ABC123", "Q2GV-ABCD-1234", "Front Entrance"
DEADLINE = 30.0  # generous: a loaded 2-core machine must not fail this
STEP_MS = 30_000



def _missing(reason: str) -> None:
    """Skip on a developer machine without the browser; in CI that is a failure."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (required when CI=true)")
    pytest.skip(reason)

RULES = """\
defaults:
  group_wait: 0s
  group_interval: 1s
receivers:
  noc:
    urls: ["json://127.0.0.1:{noc}/noc?-token={token}"]
  pager:
    urls: ["json://ops:{password}@127.0.0.1:{pager}/pager"]
routes:
  - name: every-camera
    receivers: [noc, pager]
"""


def poll(check: Callable[[], Any], what: str) -> Any:
    """The first truthy result of ``check``; fails after a generous deadline."""
    end = time.monotonic() + DEADLINE
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass
class Live:
    url: str
    runtime: Runtime
    sim: SimulatorServer
    noc: HttpSink
    pager: HttpSink

    def alert_from_upstream(self, anomalies: dict[str, float]) -> int:
        """VisionAlert raises an alert for the camera and posts its webhook to the router."""
        resp = httpx.post(f"{self.sim.url}/_sim/alerts", timeout=10, json={
            "license": LICENSE, "anomaly": next(iter(anomalies)),
            "cameras": [{"serial": SERIAL, "status": "anomaly", "anomalies": anomalies}],
            "webhook": {"target": f"{self.url}/webhooks/visionalert", "token": WEBHOOK}})
        resp.raise_for_status()
        assert resp.json()["webhook"]["ok"], resp.json()["webhook"]
        newest = httpx.get(f"{self.url}/api/v1/alerts?page_size=1", timeout=10,
                           headers={"Authorization": f"Bearer {ADMIN}"})
        return int(newest.json()["results"][0]["id"])


@pytest.fixture
def live(make_runtime: Callable[..., Runtime], rules_path: Path) -> Iterator[Live]:
    sim_config = SimulatorConfig(token=UPSTREAM, rate_limit=0)
    with SimulatorServer(sim_config) as sim, HttpSink() as noc, HttpSink([500]) as pager:
        rules_path.write_text(textwrap.dedent(RULES).format(
            noc=noc.port, pager=pager.port, token=TARGET_TOKEN, password=TARGET_PASSWORD))
        runtime = make_runtime(
            clock=SystemClock(), admin_token=ADMIN, webhook_token=WEBHOOK, link_secret=LINK_KEY,
            visionalert_url=sim.base_url, visionalert_token=UPSTREAM, visionalert_rps=1000.0,
            enrich_deadline=5.0, enrich_retry_seconds=0.2, poll_seconds=0.05,
            delivery_max_attempts=1, target_connect_timeout=2.0, target_read_timeout=5.0)
        server = make_server("127.0.0.1", 0, create_app(runtime=runtime), threaded=True)
        stop = threading.Event()
        threads = [threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True),
                   threading.Thread(target=Worker(runtime).run, args=(stop,), daemon=True)]
        for t in threads:
            t.start()
        try:
            yield Live(f"http://127.0.0.1:{server.server_port}", runtime, sim, noc, pager)
        finally:
            stop.set()
            server.shutdown()
            for t in threads:
                t.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None:
        _missing(f"{CHROMIUM} is not installed (.ci/run installs Debian chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        _missing("the playwright package is not installed (test extra)")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _images_loaded(page: Any) -> list[int]:
    for img in page.locator("#camera-0 img").all():
        img.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const imgs = [...document.querySelectorAll('#camera-0 img')];"
        " return imgs.length === 2 && imgs.every(i => i.complete && i.naturalWidth > 0); }",
        timeout=STEP_MS)
    widths: list[int] = page.eval_on_selector_all(
        "#camera-0 img", "imgs => imgs.map(i => i.naturalWidth)")
    return widths


def test_on_call_journey_in_chromium(live: Live, browser: Any, tmp_path: Path) -> None:
    seen: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(STEP_MS)

    first = live.alert_from_upstream({"Blur": 0.87})
    poll(lambda: live.noc.requests, "the first notification")

    # Log in; the overview shows the alert and the dead letter of the failing pager.
    page.goto(f"{live.url}/")
    assert "/login" in page.url
    page.fill("#token", ADMIN)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/")
    [cookie] = page.context.cookies()
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"], cookie["secure"]) == (
        "router_session", True, "Lax", False)  # Secure needs https (see test_dashboard)

    # A form whose CSRF token was taken out is refused, and nothing is created.
    page.goto(f"{live.url}/silences")
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    page.fill("input[name=serial]", "anything")
    with page.expect_response(f"{live.url}/silences") as refused:
        page.click("form.stack button[value='2h']")
    assert refused.value.status == 403
    assert "missing its security token" in page.inner_text("main")
    page.goto(f"{live.url}/silences")
    assert page.locator("tr[data-silence]").count() == 0

    page.goto(f"{live.url}/")
    poll(lambda: page.reload() and page.inner_text("#dead-letters") == "1", "a dead letter")
    seen.append(page.content())
    overview = tmp_path / "overview.png"
    page.screenshot(path=str(overview), full_page=True)

    # The alert page: snapshot and reference side by side, both really loaded.
    page.goto(f"{live.url}/alerts/{first}")
    assert NAME in page.inner_text("h2")
    assert _images_loaded(page) == [160, 160]
    assert "Blur 87%" in page.inner_text("#camera-0")
    alert_shot = tmp_path / "alert.png"
    page.screenshot(path=str(alert_shot), full_page=True)
    # On a phone: nothing wider than the screen, the two images still side by side.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    boxes = [img.bounding_box() for img in page.locator("#camera-0 img").all()]
    assert boxes[0]["y"] == boxes[1]["y"] and boxes[0]["x"] < boxes[1]["x"]
    phone_shot = tmp_path / "alert-phone.png"
    page.screenshot(path=str(phone_shot), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    print(f"\nscreenshot: {overview}\nscreenshot: {alert_shot}\nscreenshot: {phone_shot}")
    seen.append(page.content())

    # Silence the camera for 24 h from the alert page.
    page.click("#camera-0 button[value='24h']")
    page.wait_for_url(f"{live.url}/alerts/{first}")
    assert "created, until" in page.inner_text(".notice")

    # The next webhook for that camera is recorded as silenced.
    second = live.alert_from_upstream({"Obstruction": 0.91})
    page.goto(f"{live.url}/alerts/{second}")
    poll(lambda: page.reload() and "silenced" in page.inner_text("#camera-0 .decisions"),
         "the silenced decision")
    seen.append(page.content())

    # Expire the silence.
    page.goto(f"{live.url}/silences")
    page.click("tr.active button:has-text('Expire')")
    page.wait_for_url(f"{live.url}/silences")
    assert "expired." in page.inner_text(".notice")
    assert page.locator("tr.active").count() == 0
    seen.append(page.content())

    # Replay the dead letter; the pager sink answers 200 now and gets it.
    page.goto(f"{live.url}/deliveries?state=dead")
    seen.append(page.content())
    page.click("tr[data-delivery] button:has-text('Replay')")
    page.wait_for_url(f"{live.url}/deliveries?state=dead")
    poll(lambda: len(live.pager.requests) >= 2, "the replayed delivery")
    assert live.pager.requests[-1].path == "/pager"
    page.goto(f"{live.url}/alerts/{first}")
    poll(lambda: page.reload() and page.locator(".d-delivered").count() >= 2,
         "both deliveries shown as delivered")
    seen.append(page.content())

    for path in ("/rules", "/alerts", "/deliveries?state=failing"):
        page.goto(live.url + path)
        seen.append(page.content())
    for html in seen:
        assert_no_canary(html)
    page.close()
