"""Signed action links: open an alert, silence a camera after a confirmation POST;
tampered, expired, reused or mis-purposed links are refused with a clear page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from router.channels import links
from router.pipeline.runtime import Runtime
from router.settings import Settings
from router.simulator.frames import camera_frame
from router.store import silences
from tests.support.httpsink import HttpSink, Reply
from tests.web.dashboard.test_dashboard import csrf_of, log_in
from tests.web.fixtures import ADMIN, Site, assert_no_canary, build_site, camera, webhook

EXTERNAL = "https://router.example.com/"


@pytest.fixture
def linked(make_runtime: Callable[..., Runtime], rules_path: Path) -> Iterator[Site]:
    """A site with ROUTER_EXTERNAL_URL and images on an allowlisted loopback host."""
    jpeg = Reply(200, camera_frame("S1"), {"Content-Type": "image/jpeg"})
    with HttpSink() as sink, HttpSink(default=jpeg) as images:
        s = build_site(make_runtime, rules_path, sink, external_url=EXTERNAL,
                       image_hosts="127.0.0.1")
        s.images = images  # type: ignore[attr-defined]
        yield s
        s.worker.shutdown()


def _links(site: Site, alert_id: int = 1, serial: str = "S1") -> dict[str, str]:
    made = links.action_links(site.runtime.settings, alert_id=alert_id, license_code="LIC-L",
                              serial=serial, now=site.clock.now())
    return {k: v.removeprefix(EXTERNAL.rstrip("/")) for k, v in made.items()}


def _silences(site: Site) -> list[silences.SilenceRow]:
    return silences.list_all(site.runtime.db, now=site.clock.now())


def test_action_links_need_an_external_url() -> None:
    plain = Settings.from_env({}, admin_token=ADMIN)
    assert links.action_links(plain, alert_id=1, license_code="L", serial="S", now=0) == {}
    keyless = Settings.from_env({}, external_url=EXTERNAL)
    assert links.action_links(keyless, alert_id=1, license_code="L", serial="S", now=0) == {}
    made = links.action_links(plain.replace(external_url=EXTERNAL), alert_id=7,
                              license_code="L", serial="S", now=0)
    assert made["open"].startswith("https://router.example.com/a/open/7?t=")
    assert made["silence_24h"].startswith("https://router.example.com/a/silence?")


def test_silence_link_confirms_before_it_silences(linked: Site) -> None:
    url = _links(linked)["silence_24h"]
    for _ in range(2):  # a link preview bot fetching the URL, twice
        page = linked.client.get(url)
        assert page.status_code == 200 and "Silence camera S1?" in page.text
    assert _silences(linked) == []
    query = parse_qs(urlsplit(url).query)
    done = linked.client.post("/a/silence", data={
        "license": "LIC-L", "serial": "S1", "for": query["for"][0], "t": query["t"][0],
        "csrf_token": csrf_of(page)})
    assert done.status_code == 200 and "Camera S1 (LIC-L) is silenced until" in done.text
    [made] = _silences(linked)
    assert made.matchers == {"license": ["LIC-L"], "camera": ["S1"]}
    assert made.ends_at == linked.clock.now() + 24 * 3600
    assert made.author == "action link"


def test_silence_link_post_needs_the_confirmation_pages_csrf(linked: Site) -> None:
    url = _links(linked)["silence_24h"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    resp = linked.client.post("/a/silence", data=query)
    assert resp.status_code == 403 and _silences(linked) == []


def _tampered(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return f"{parts.path}?{urlencode(query)}"


def test_changed_links_are_refused(linked: Site) -> None:
    url = _links(linked)["silence_24h"]
    token = parse_qs(urlsplit(url).query)["t"][0]
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    cases = {
        "tampered token": _tampered(url, t=flipped),
        "another camera": _tampered(url, serial="S2"),
        "another license": _tampered(url, license="LIC-X"),
        "longer silence": _tampered(url, **{"for": "2592000"}),
        "later expiry": _tampered(url, t=str(int(token.split(".")[0]) + 86400) + "."
                                  + token.split(".")[1]),
        "no token": _tampered(url, t=""),
    }
    for name, bad in cases.items():
        page = linked.client.get(bad)
        assert page.status_code == 403, name
        assert "Link not accepted" in page.text and "Nothing was changed." in page.text, name
    assert "it was made for another alert or camera" in linked.client.get(
        cases["another camera"]).text
    # The POST checks the link again: a forged form changes nothing either.
    form = linked.client.get(url)
    query = {k: v[0] for k, v in parse_qs(urlsplit(cases["another camera"]).query).items()}
    resp = linked.client.post("/a/silence", data={**query, "csrf_token": csrf_of(form)})
    assert resp.status_code == 403 and _silences(linked) == []


def test_links_are_single_purpose(linked: Site) -> None:
    made = _links(linked, alert_id=1)
    open_token = parse_qs(urlsplit(made["open"]).query)["t"][0]
    silence_token = parse_qs(urlsplit(made["silence_24h"]).query)["t"][0]
    as_silence = _tampered(made["silence_24h"], t=open_token)
    assert linked.client.get(as_silence).status_code == 403
    assert linked.client.get(f"/a/open/1?t={silence_token}").status_code == 403
    assert linked.client.get("/a/open/2?" + urlsplit(made["open"]).query).status_code == 403


def test_expired_links_are_refused(linked: Site) -> None:
    url = _links(linked)["silence_24h"]
    linked.clock.advance(7 * 86400 - 1)
    assert linked.client.get(url).status_code == 200
    linked.clock.advance(2)
    page = linked.client.get(url)
    assert page.status_code == 403 and "This link has expired." in page.text


def test_rotating_the_secret_revokes_links(linked: Site) -> None:
    url = _links(linked)["silence_24h"]
    linked.runtime.settings = linked.runtime.settings.replace(link_secret="another-secret")
    assert linked.client.get(url).status_code == 403


def test_key_defaults_to_one_derived_from_the_admin_token(linked: Site) -> None:
    linked.runtime.settings = linked.runtime.settings.replace(link_secret=None)
    url = _links(linked)["silence_24h"]
    assert linked.client.get(url).status_code == 200
    linked.runtime.settings = linked.runtime.settings.replace(admin_token="new-admin")
    assert linked.client.get(url).status_code == 403
    linked.runtime.settings = linked.runtime.settings.replace(admin_token=None)
    page = linked.client.get(url)
    assert page.status_code == 403 and "Action links are disabled" in page.text


def test_open_link_shows_the_alert_with_its_images_without_login(linked: Site) -> None:
    image = f"http://127.0.0.1:{linked.images.port}/media/s1.jpg"  # type: ignore[attr-defined]
    alert_id = linked.post(webhook("LIC-L", camera("S1", "Blur", latest_image=image,
                                                   reference_image=image + "?ref")))
    linked.run()
    page = linked.client.get(_links(linked, alert_id)["open"])
    assert page.status_code == 200 and f"Alert {alert_id}" in page.text
    assert "Silence this camera" not in page.text  # read-only: no forms
    srcs = re.findall(r'<img class="(\w+)" src="([^"]+)"', page.text)
    assert [kind for kind, _ in srcs] == ["snapshot", "reference"]
    for _, src in srcs:
        got = linked.client.get(src.replace("&amp;", "&"))
        assert got.status_code == 200 and got.mimetype == "image/jpeg"
        assert got.data == camera_frame("S1")
    # The image tokens are bound to their image and need no session, nothing more.
    snapshot_src = srcs[0][1].replace("&amp;", "&")
    assert linked.client.get(snapshot_src.replace("/snapshot", "/reference")).status_code == 403
    assert linked.client.get(f"/images/{alert_id}/0/snapshot").status_code == 403
    assert linked.client.get("/").status_code == 302  # no login was granted
    assert_no_canary(page.text)


def test_open_link_when_logged_in_goes_to_the_alert_page(linked: Site) -> None:
    alert_id = linked.post(webhook("LIC-L", camera("S1")))
    log_in(linked.client)
    resp = linked.client.get(_links(linked, alert_id)["open"])
    assert (resp.status_code, resp.headers["Location"]) == (303, f"/alerts/{alert_id}")


def test_image_proxy_refuses_hosts_off_the_allowlist(linked: Site) -> None:
    alert_id = linked.post(webhook("LIC-L", camera(
        "S1", latest_image="http://localhost:9/x.jpg", reference_image="file:///etc/passwd")))
    log_in(linked.client)
    for kind in ("snapshot", "reference"):
        resp = linked.client.get(f"/images/{alert_id}/0/{kind}")
        assert resp.status_code == 404 and "Image not available" in resp.text
    assert linked.client.get(f"/images/{alert_id}/5/snapshot").status_code == 404
    assert linked.client.get(f"/images/{alert_id}/0/other").status_code == 404


def test_notification_carries_working_signed_links(linked: Site) -> None:
    """The message a person receives links to the alert and silences that camera."""
    alert_id = linked.post(webhook("LIC-L", camera("S1")))
    linked.run()
    message = linked.sink.requests[-1].json()["message"]
    found = re.findall(r"https://router\.example\.com(/a/[^\s)>\"]+)", message)
    opened = [u for u in found if u.startswith(f"/a/open/{alert_id}?t=")]
    silence = [u for u in found if u.startswith("/a/silence?")]
    assert opened and silence, message
    assert linked.client.get(opened[0]).status_code == 200
    page = linked.client.get(silence[0].replace("&amp;", "&"))
    assert page.status_code == 200 and "Silence camera S1?" in page.text
    query = {k: v[0] for k, v in parse_qs(urlsplit(silence[0].replace("&amp;", "&")).query)
             .items()}
    done = linked.client.post("/a/silence", data={**query, "csrf_token": csrf_of(page)})
    assert done.status_code == 200
    [made] = _silences(linked)
    assert made.matchers == {"license": ["LIC-L"], "camera": ["S1"]}
