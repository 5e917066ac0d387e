"""The dashboard through Flask's test client: login and session cookie, CSRF on every
form, the pages' content, silences and replay, and no secret on any page."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from router.pipeline.runtime import Runtime
from router.store.schema import decisions, deliveries
from tests.support.httpsink import HttpSink
from tests.web.fixtures import (
    ADMIN,
    Site,
    assert_no_canary,
    build_site,
    camera,
    site,
    webhook,
)

__all__ = ["site"]


def csrf_of(page: TestResponse) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert found, "page has no CSRF token"
    return found.group(1)


def log_in(client: FlaskClient, next_path: str = "/") -> TestResponse:
    form = client.get("/login")
    return client.post("/login", data={"token": ADMIN, "next": next_path,
                                       "csrf_token": csrf_of(form)})


def cookie_header(resp: TestResponse) -> str:
    [cookie] = [v for k, v in resp.headers.items()
                if k == "Set-Cookie" and v.startswith("router_session=")]
    return cookie


# ------------------------------------------------------------------ login and session


def test_pages_need_a_login(site: Site) -> None:
    for path in ("/", "/alerts", "/alerts/1", "/silences", "/deliveries", "/rules"):
        resp = site.client.get(path)
        assert resp.status_code == 302, path
        assert resp.headers["Location"].startswith("/login?next=")


def test_login_with_the_admin_token(site: Site) -> None:
    form = site.client.get("/login?next=/rules")
    wrong = site.client.post("/login", data={"token": "guess", "next": "/rules",
                                             "csrf_token": csrf_of(form)})
    assert wrong.status_code == 403 and "That is not the admin token." in wrong.text
    assert site.client.get("/").status_code == 302
    right = log_in(site.client, "/rules")
    assert (right.status_code, right.headers["Location"]) == (303, "/rules")
    assert site.client.get("/rules").status_code == 200


def test_login_never_redirects_off_site(site: Site) -> None:
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        resp = log_in(site.app.test_client(), evil)
        assert resp.headers["Location"] == "/", evil


def test_session_cookie_flags_over_http_and_https(site: Site) -> None:
    cookie = cookie_header(log_in(site.client))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    https = site.app.test_client()
    form = https.get("/login", base_url="https://router.example")
    resp = https.post("/login", base_url="https://router.example",
                      data={"token": ADMIN, "csrf_token": csrf_of(form)})
    cookie = cookie_header(resp)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_forwarded_proto_counts_only_when_trusted(make_runtime: Callable[..., Runtime],
                                                  rules_path: Path) -> None:
    proxied = {"X-Forwarded-Proto": "https"}
    with HttpSink() as sink:
        for trusted in (False, True):
            s = build_site(make_runtime, rules_path, sink, trust_forwarded_proto=trusted)
            form = s.client.get("/login", headers=proxied)
            resp = s.client.post("/login", headers=proxied,
                                 data={"token": ADMIN, "csrf_token": csrf_of(form)})
            assert ("Secure" in cookie_header(resp)) is trusted


def test_logout_ends_the_session(site: Site) -> None:
    log_in(site.client)
    page = site.client.get("/")
    resp = site.client.post("/logout", data={"csrf_token": csrf_of(page)})
    assert resp.status_code == 303
    assert site.client.get("/").status_code == 302


def test_changing_the_admin_token_ends_logins(site: Site) -> None:
    log_in(site.client)
    assert site.client.get("/").status_code == 200
    site.runtime.settings = site.runtime.settings.replace(admin_token="rotated-token")
    assert site.client.get("/").status_code == 302


# ------------------------------------------------------------------ CSRF


@pytest.mark.parametrize("path", ["/login", "/logout", "/silences", "/silences/1/expire",
                                  "/deliveries/1/replay", "/deliveries/replay-dead",
                                  "/rules/explain", "/a/silence"])
def test_every_form_post_without_the_csrf_token_is_rejected(site: Site, path: str) -> None:
    log_in(site.client)
    for token in (None, "forged"):
        data = {"token": ADMIN, "license": "L", "serial": "S", "duration": "2h"}
        if token:
            data["csrf_token"] = token
        resp = site.client.post(path, data=data)
        assert resp.status_code == 403, path
        assert "missing its security token" in resp.text
    assert site.client.get("/silences").status_code == 200  # still logged in, nothing made


def test_csrf_token_of_another_session_is_rejected(site: Site) -> None:
    log_in(site.client)
    other = site.app.test_client()
    log_in(other)
    resp = site.client.post("/silences", data={"license": "L", "serial": "S", "duration": "2h",
                                               "csrf_token": csrf_of(other.get("/silences"))})
    assert resp.status_code == 403


# ------------------------------------------------------------------ pages


def test_overview_counts(site: Site) -> None:
    site.post(webhook("LIC-A", camera("A1", "Offline"), anomaly="Offline"))
    site.post(webhook("LIC-A", camera("A2", "Blur")))
    site.run()
    site.post(webhook("LIC-B", camera("B1", "Glare")))  # still in the inbox
    log_in(site.client)
    page = site.client.get("/").text
    assert re.search(r'id="alerts-24h">3<', page)
    assert re.search(r'id="inbox-depth">1<', page)
    assert re.search(r'id="dead-letters">1<', page)  # the broken target of the offline route
    assert "Cam-A1" in page and "Cam-A2" in page  # cameras in trouble
    assert "broken" in page and "rules OK" in page  # failing targets, last reload


def test_alerts_list_filters_and_pages(site: Site) -> None:
    ids = [site.post(webhook("LIC-A" if n % 2 else "LIC-B", camera(f"C{n}", "Blur")))
           for n in range(5)]
    for _ in ids:
        site.clock.advance(1)
    log_in(site.client)
    page = site.client.get("/alerts?license=LIC-A&page_size=1")
    assert page.status_code == 200
    shown = re.findall(r'href="/alerts/(\d+)"', page.text)
    assert shown == [str(ids[3])]
    older = re.search(r'rel="next" href="([^"]+)"', page.text)
    assert older
    second = site.client.get(older.group(1).replace("&amp;", "&"))
    assert re.findall(r'href="/alerts/(\d+)"', second.text) == [str(ids[1])]
    bad = site.client.get("/alerts?start=soon")
    assert bad.status_code == 400 and "Enter a valid date" in bad.text


def test_alert_page_shows_cameras_decisions_and_attempts(site: Site) -> None:
    alert_id = site.post(webhook("LIC-D", camera(
        "D1", "Offline", latest_image="http://img.invalid/s.jpg",
        reference_image="http://img.invalid/r.jpg"), anomaly="Offline"))
    site.run()
    log_in(site.client)
    page = site.client.get(f"/alerts/{alert_id}").text
    assert f'src="/images/{alert_id}/0/snapshot"' in page
    assert f'src="/images/{alert_id}/0/reference"' in page
    assert "not enriched" in page and "Upstream alert" in page
    assert "route <b>offline</b> → <b>noc</b>" in page
    assert "success" in page and "failure" in page  # one attempt per target
    assert "Silence this camera" in page and 'name="serial" value="D1"' in page
    assert site.client.get("/alerts/424242").status_code == 404


def test_rules_page_and_explain(site: Site) -> None:
    log_in(site.client)
    page = site.client.get("/rules")
    assert "<b>offline</b>" in page.text and "catch-all" in page.text
    assert 'id="receiver-noc"' in page.text and "json://127.0.0.1" in page.text
    payload = ('{"license": "L", "cameras": [{"serial": "X9", "name": "Gate", '
               '"anomaly": "Offline"}]}')
    result = site.client.post("/rules/explain", data={"payload": payload, "enrichment": "",
                                                      "at": "", "csrf_token": csrf_of(page)})
    assert result.status_code == 200
    assert "✔ <b>offline</b>" in result.text and "→ <b>noc</b>" in result.text
    broken = site.client.post("/rules/explain", data={"payload": "{", "enrichment": "",
                                                      "at": "", "csrf_token": csrf_of(page)})
    assert broken.status_code == 400 and "payload is not valid JSON" in broken.text
    assert_no_canary(page.text + result.text)


def _decisions_for(site: Site, alert_id: int) -> list[tuple[str, str]]:
    with site.runtime.db.read() as conn:
        return [(r.outcome, r.reason) for r in conn.execute(
            select(decisions.c.outcome, decisions.c.reason)
            .where(decisions.c.alert_id == alert_id))]


def test_silence_from_the_alert_page_then_expire(site: Site) -> None:
    first = site.post(webhook("LIC-S", camera("S1", "Blur")))
    site.run()
    log_in(site.client)
    page = site.client.get(f"/alerts/{first}")
    resp = site.client.post("/silences", data={
        "license": "LIC-S", "serial": "S1", "duration": "24h", "comment": "lens cleaning",
        "back": f"/alerts/{first}", "csrf_token": csrf_of(page)})
    assert (resp.status_code, resp.headers["Location"]) == (303, f"/alerts/{first}")
    listed = site.client.get("/silences").text
    [silence_id] = re.findall(r'data-silence="(\d+)"', listed)
    assert "camera: S1" in listed and "lens cleaning" in listed
    site.clock.advance(60)
    muted = site.post(webhook("LIC-S", camera("S1", "Obstruction")))
    site.run()
    assert any(outcome == "silenced" for outcome, _ in _decisions_for(site, muted))
    expire = site.client.post(f"/silences/{silence_id}/expire",
                              data={"csrf_token": csrf_of(site.client.get("/silences"))})
    assert expire.status_code == 303
    assert "expired." in site.client.get("/silences").text
    site.clock.advance(60)
    heard = site.post(webhook("LIC-S", camera("S1", "Glare")))
    site.run()
    assert not any(outcome == "silenced" for outcome, _ in _decisions_for(site, heard))


def test_silence_form_errors_are_explained(site: Site) -> None:
    log_in(site.client)
    token = csrf_of(site.client.get("/silences"))
    nothing = site.client.post("/silences", data={"duration": "2h", "csrf_token": token})
    assert nothing.status_code == 400 and "name at least a license" in nothing.text
    past = site.client.post("/silences", data={"serial": "S", "duration": "until",
                                               "until": "2001-01-01T00:00", "csrf_token": token})
    assert past.status_code == 400 and "in the future" in past.text


def test_replay_a_dead_letter_from_the_dashboard(site: Site) -> None:
    alert_id = site.post(webhook("LIC-R", camera("R1", "Offline"), anomaly="Offline"))
    site.run()
    log_in(site.client)
    page = site.client.get("/deliveries?state=dead")
    [dead_id] = re.findall(r'data-delivery="(\d+)"', page.text)
    assert f'href="/alerts/{alert_id}"' in page.text
    resp = site.client.post(f"/deliveries/{dead_id}/replay", data={"csrf_token": csrf_of(page)})
    assert resp.status_code == 303
    assert "queued again" in site.client.get("/deliveries?state=dead").text
    with site.runtime.db.read() as conn:
        state = conn.execute(select(deliveries.c.state)
                             .where(deliveries.c.id == int(dead_id))).scalar_one()
    assert state == "pending"


def test_no_secret_on_any_page(site: Site) -> None:
    alert_id = site.post(webhook("LIC-C", camera("C1", "Offline"), anomaly="Offline"))
    site.run()
    log_in(site.client)
    texts = [site.client.get("/login").text]
    for path in ("/", "/alerts", f"/alerts/{alert_id}", "/silences", "/deliveries?state=dead",
                 "/deliveries?state=failing", "/rules"):
        resp = site.client.get(path)
        assert resp.status_code == 200, path
        texts.append(resp.text)
    for text in texts:
        assert_no_canary(text)


def test_security_headers(site: Site) -> None:
    resp = site.client.get("/login")
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["Cache-Control"] == "no-store"
    css = site.client.get("/assets/style.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
