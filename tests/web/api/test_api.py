"""The admin API: authentication on every endpoint, alert filters and cursor paging,
alert detail down to each delivery attempt, rules and their dry-run validation."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select, update

from router.pipeline.runtime import Runtime
from router.store import views
from router.store.schema import alerts
from router.store.views.alerts import _alert_where as alert_where
from router.store.views.paging import _batch as batch_query
from tests.support.httpsink import HttpSink
from tests.web.fixtures import (
    ADMIN,
    TARGET_PASSWORD,
    TARGET_TOKEN,
    Site,
    assert_no_canary,
    build_site,
    camera,
    site,
    webhook,
)

__all__ = ["site"]  # the fixture, imported for pytest


def api_routes(app: Flask) -> list[tuple[str, str]]:
    """(method, concrete URL) of every /api/v1 route, path parameters filled with 1."""
    found: list[tuple[str, str]] = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        url = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", "1", rule.rule)
        found.extend((m, url) for m in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
    return found


def test_every_api_endpoint_needs_the_admin_token(site: Site) -> None:
    routes = api_routes(site.app)
    assert ("GET", "/api/v1/alerts") in routes and ("POST", "/api/v1/rules/validate") in routes
    for method, url in routes:
        missing = site.client.open(url, method=method)
        assert missing.status_code == 401, (method, url)
        assert missing.get_json()["error"].startswith("admin API needs")
        wrong = site.client.open(url, method=method, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 403, (method, url)
        assert wrong.get_json()["error"] == "wrong admin token"
        other_scheme = site.client.open(url, method=method,
                                        headers={"Authorization": f"Token {ADMIN}"})
        assert other_scheme.status_code == 401, (method, url)
        right = site.client.open(url, method=method, headers={"Authorization": f"Bearer {ADMIN}"})
        assert right.status_code not in (401, 403), (method, url)


def _seed(site: Site) -> dict[str, int]:
    """Five alerts a minute apart, differing in license, tag, status and anomaly."""
    ids = {}
    bodies = {
        "offline-a": webhook("LIC-A", camera("A1", "Offline", ("site-a",)), anomaly="Offline"),
        "blur-a": webhook("LIC-A", camera("A2", "Blur", ("site-a", "lobby"))),
        "glare-b": webhook("LIC-B", camera("B1", "Glare", ("site-b",))),
        "mixed-b": webhook("LIC-B", camera("B2", "Obstruction", ("site-b",)),
                           camera("B3", "Offline", ("site-c",))),
        "normal-a": webhook("LIC-A", camera("A3", "Normal", ("site-a",)), anomaly="Normal"),
    }
    for name, body in bodies.items():
        ids[name] = site.post(body)
        site.clock.advance(60)
    site.run()
    return ids


def _ids(site: Site, query: str) -> list[int]:
    resp = site.api(f"/alerts{query}")
    assert resp.status_code == 200, resp.get_json()
    return [a["id"] for a in resp.get_json()["results"]]


def test_alert_filters(site: Site) -> None:
    ids = _seed(site)
    newest_first = sorted(ids.values(), reverse=True)
    assert _ids(site, "") == newest_first
    assert _ids(site, "?license=LIC-B") == [ids["mixed-b"], ids["glare-b"]]
    assert _ids(site, "?tag=site-a") == [ids["normal-a"], ids["blur-a"], ids["offline-a"]]
    assert _ids(site, "?tag=lobby") == [ids["blur-a"]]
    assert _ids(site, "?tag=site") == []  # tags match exactly, not as substrings
    # A camera's own status counts, not only the alert's label.
    assert _ids(site, "?status=offline") == [ids["mixed-b"], ids["offline-a"]]
    assert _ids(site, "?status=OFFLINE&license=LIC-A") == [ids["offline-a"]]
    assert _ids(site, "?status=normal") == [ids["normal-a"]]
    assert _ids(site, "?anomaly=obstruction") == [ids["mixed-b"]]
    assert _ids(site, "?anomaly=Blur&tag=site-a") == [ids["blur-a"]]
    assert _ids(site, "?anomaly=Glare&license=LIC-A") == []


def test_alert_time_range(site: Site) -> None:
    ids = _seed(site)  # received at START, +60, +120, +180, +240 (2027-01-15T08:00:00Z ...)
    assert _ids(site, "?start=2027-01-15T08:02:00Z") == [
        ids["normal-a"], ids["mixed-b"], ids["glare-b"]]
    assert _ids(site, "?end=2027-01-15T08:01:00Z") == [ids["blur-a"], ids["offline-a"]]
    assert _ids(site, "?start=2027-01-15T08:01:00&end=2027-01-15T08:01:00") == [ids["blur-a"]]
    assert len(_ids(site, "?start=2027-01-15&end=2027-01-15")) == 5  # whole day
    assert _ids(site, "?end=2027-01-14") == []
    assert _ids(site, "?start=2027-01-16") == []


@pytest.mark.parametrize(("query", "param", "message"), [
    ("?start=yesterday", "start", "Enter a valid date (YYYY-MM-DD) or ISO 8601 timestamp."),
    ("?end=2027-13-01", "end", "Enter a valid date (YYYY-MM-DD) or ISO 8601 timestamp."),
    ("?status=broken", "status", "unknown status 'broken': use one of normal, anomaly, "
                                 "under_review, offline, config_issue, no_data, pending_retry"),
    ("?cursor=not-a-cursor", "cursor", "invalid cursor: follow the next/previous URLs"),
])
def test_bad_query_parameters_are_400(site: Site, query: str, param: str, message: str) -> None:
    resp = site.api(f"/alerts{query}")
    assert resp.status_code == 400
    assert resp.get_json() == {"error": message, "detail": {"param": param}}


def _walk(site: Site, url: str, link: str) -> list[list[int]]:
    pages = []
    while url:
        parts = urlsplit(url)
        assert parts.scheme == "http" and parts.netloc == "localhost"  # absolute URLs
        resp = site.client.get(f"{parts.path}?{parts.query}",
                               headers={"Authorization": f"Bearer {ADMIN}"})
        body = resp.get_json()
        pages.append([a["id"] for a in body["results"]])
        url = body[link]
    return pages


def test_cursor_pagination_forward_and_back(site: Site) -> None:
    ids = _seed(site)
    first = site.api("/alerts?page_size=2&license=LIC-A").get_json()
    assert first["previous"] is None
    assert "license=LIC-A" in first["next"] and "page_size=2" in first["next"]
    pages = _walk(site, "http://localhost/api/v1/alerts?page_size=2", "next")
    assert pages == [sorted(ids.values(), reverse=True)[i:i + 2] for i in (0, 2, 4)]
    last = site.api("/alerts?page_size=2").get_json()
    while last["next"]:
        last = site.client.get(last["next"], headers={"Authorization": f"Bearer {ADMIN}"}
                               ).get_json()
    back = _walk(site, last["previous"], "previous")
    assert back == pages[:-1][::-1]


def test_new_alerts_do_not_shift_pages(site: Site) -> None:
    ids = _seed(site)
    first = site.api("/alerts?page_size=3").get_json()
    site.post(webhook("LIC-Z", camera("Z1")))  # arrives while someone is paging
    second = site.client.get(first["next"], headers={"Authorization": f"Bearer {ADMIN}"})
    assert [a["id"] for a in second.get_json()["results"]] == [ids["blur-a"], ids["offline-a"]]


def test_page_size_default_and_cap(site: Site) -> None:
    for n in range(3):
        site.post(webhook("LIC-P", camera(f"P{n}")))
        site.clock.advance(1)
    assert len(site.api("/alerts?page_size=1").get_json()["results"]) == 1
    assert len(site.api("/alerts?page_size=0").get_json()["results"]) == 3  # -> default 50
    assert len(site.api("/alerts?page_size=9999").get_json()["results"]) == 3  # clamped


def test_alert_detail_shows_everything(site: Site) -> None:
    alert_id = site.post(webhook(
        "LIC-D", camera("D1", "Offline", ("site-a",), latest_image="http://img.invalid/s.jpg",
                        reference_image="http://img.invalid/r.jpg"), anomaly="Offline"))
    site.run()
    resp = site.api(f"/alerts/{alert_id}")
    assert resp.status_code == 200
    a = resp.get_json()
    assert a["received_at"] == "2027-01-15T08:00:00Z"
    assert a["payload"]["cameras"][0]["serial"] == "D1"
    assert '"serial": "D1"' in a["raw_body"] and a["content_type"] == "application/json"
    assert a["inbox"]["state"] == "done"
    [event] = a["camera_events"]
    assert (event["serial"], event["status"], event["tags"]) == ("D1", "offline", ["site-a"])
    assert event["snapshot_url"] == "http://img.invalid/s.jpg"
    assert event["enriched"] is False and event["enrichment_note"]
    routed = [d for d in event["decisions"] if d["receiver"]]
    assert {(d["route"], d["receiver"]) for d in routed} == {("offline", "noc"),
                                                               ("offline", "broken")}
    assert all(d["reason"] for d in event["decisions"])
    deliveries = {d["receiver"]: d for n in a["notifications"] for d in n["deliveries"]}
    assert deliveries["noc"]["state"] == "delivered"
    assert deliveries["noc"]["attempts"][0]["outcome"] == "success"
    dead = deliveries["broken"]
    assert dead["state"] == "dead" and dead["attempt_count"] == 1
    assert dead["attempts"][0]["outcome"] == "failure" and dead["attempts"][0]["error"]
    assert "****" in dead["target"]
    assert_no_canary(resp.get_data(as_text=True))


def test_alert_detail_before_routing_and_unknown(site: Site) -> None:
    alert_id = site.post(webhook("LIC-W", camera("W1")))
    waiting = site.api(f"/alerts/{alert_id}").get_json()
    assert waiting["inbox"]["state"] == "pending"
    assert waiting["camera_events"] == [] and waiting["notifications"] == []
    missing = site.api("/alerts/999999")
    assert missing.status_code == 404
    assert missing.get_json() == {"error": "no alert 999999", "detail": {"alert_id": 999999}}
    assert site.api(f"/alerts/{2**64}").status_code == 404


def test_alert_list_summarises_each_alert(site: Site) -> None:
    alert_id = site.post(webhook("LIC-S", camera("S1", "Offline", ("site-a",)),
                                 camera("S2", "Blur", ("site-b",))))
    listed = site.api("/alerts").get_json()["results"][0]
    assert listed["inbox_state"] == "pending" and listed["deliveries"] == {}
    site.run()
    listed = site.api("/alerts").get_json()["results"][0]
    assert listed["id"] == alert_id and listed["inbox_state"] == "done"
    assert listed["tags"] == ["site-a", "site-b"] and listed["anomalies"] == ["Blur"]
    assert [c["serial"] for c in listed["cameras"]] == ["S1", "S2"]
    assert listed["deliveries"] == {"dead": 1, "delivered": 2}


def test_rules_in_force(site: Site) -> None:
    resp = site.api("/rules")
    body = resp.get_json()
    assert body["source"]["path"] == str(site.runtime.rules.get().source)
    assert re.fullmatch(r"[0-9a-f]{64}", body["source"]["digest"])
    assert body["reload"]["loaded"] is True and body["reload"]["last_reload_successful"] is True
    assert [r["name"] for r in body["routes"]] == ["offline", "everything-else"]
    assert body["routes"][0]["receivers"] == ["noc", "broken"]
    assert body["routes"][1]["match"] == ["catch-all"]
    targets = {r["name"]: r["targets"] for r in body["receivers"]}
    assert targets["noc"][0].startswith("json://127.0.0.1:")
    assert TARGET_TOKEN not in resp.get_data(as_text=True)
    assert TARGET_PASSWORD not in resp.get_data(as_text=True)


def test_validate_rules_without_applying(site: Site) -> None:
    before = site.runtime.rules.current
    good = "receivers:\n  r: {urls: ['log://']}\nroutes:\n  - name: all\n    receivers: [r]\n"
    ok = site.api("/rules/validate", method="POST", data=good,
                  content_type="application/yaml").get_json()
    assert ok["valid"] is True and ok["problems"] == [] and ok["receivers"] == ["r"]
    bad = good.replace("receivers: [r]", "receivers: [nobody]")
    result = site.api("/rules/validate", method="POST", data=bad,
                      content_type="application/yaml").get_json()
    assert result["valid"] is False
    [problem] = result["problems"]
    assert (problem["file"], problem["line"]) == ("posted rules", 5)
    assert "nobody" in problem["message"]
    assert problem["text"].startswith("posted rules:5:")
    assert site.runtime.rules.current is before  # nothing applied
    assert not list(site.runtime.rules.get().source.parent.glob(".validate-*"))


@pytest.mark.parametrize(("data", "message"), [
    (b"", "post the rules file (YAML) as the request body"),
    (b"\xff\xfe", "rules file must be UTF-8 text"),
])
def test_validate_rules_rejects_unusable_bodies(site: Site, data: bytes, message: str) -> None:
    resp = site.api("/rules/validate", method="POST", data=data)
    assert resp.status_code == 400 and resp.get_json()["error"] == message


def test_no_secret_in_any_api_response(site: Site) -> None:
    ids = _seed(site)
    bodies: list[Any] = []
    for method, url in api_routes(site.app):
        if "/1" in url:
            url = url.replace("/1", f"/{ids['mixed-b']}", 1)
        bodies.append(site.client.open(url, method=method,
                                       headers={"Authorization": f"Bearer {ADMIN}"},
                                       json={"payload": webhook("LIC-A", camera("A1"))}
                                       if method == "POST" else None).get_data(as_text=True))
    bodies.append(site.api(f"/alerts/{ids['offline-a']}").get_data(as_text=True))
    assert len(bodies) >= 5
    for text in bodies:
        assert_no_canary(text)


def test_queries_agree_on_sqlite_and_postgresql(make_runtime: Callable[..., Runtime],
                                               rules_path: Path, database_url: str) -> None:
    """The read queries are portable: filters, paging, detail and overview on both stores."""
    with HttpSink() as sink:
        s = build_site(make_runtime, rules_path, sink, database_url=database_url)
        try:
            ids = _seed(s)
            assert _ids(s, "?tag=site-a&status=offline") == [ids["offline-a"]]
            assert _ids(s, "?anomaly=obstruction") == [ids["mixed-b"]]
            assert _walk(s, "http://localhost/api/v1/alerts?page_size=2", "next") == [
                sorted(ids.values(), reverse=True)[i:i + 2] for i in (0, 2, 4)]
            detail = s.api(f"/alerts/{ids['mixed-b']}").get_json()
            assert [e["serial"] for e in detail["camera_events"]] == ["B2", "B3"]
            assert {d["state"] for n in detail["notifications"] for d in n["deliveries"]} == {
                "delivered", "dead"}
            with s.runtime.db.read() as conn:
                summary = views.overview(conn, s.clock.now())
            assert summary["alerts_24h"]["total"] == 5 and summary["dead_letters"] == 2
            assert summary["cameras_in_trouble"]["total"] == 5
            assert {t["receiver"] for t in summary["failing_targets"]} == {"broken"}
        finally:
            s.worker.shutdown()


def test_listings_merge_pending_and_finished_alerts(make_runtime: Callable[..., Runtime],
                                                    rules_path: Path, database_url: str) -> None:
    """Finished alerts are read through the time indexes, pending ones through their own
    (see views.ALERT_PARTS): pages, filters and the 24-hour figures hold both, in order,
    even when a pending alert is older than finished ones (a retry waiting)."""
    with HttpSink() as sink:
        s = build_site(make_runtime, rules_path, sink, database_url=database_url)
        try:
            ids = _seed(s)
            waiting = [ids["blur-a"], ids["mixed-b"]]
            with s.runtime.db.write() as conn:
                conn.execute(update(alerts).where(alerts.c.id.in_(waiting))
                             .values(inbox_state="pending"))
            newest_first = sorted(ids.values(), reverse=True)
            pages = _walk(s, "http://localhost/api/v1/alerts?page_size=2", "next")
            assert pages == [newest_first[i:i + 2] for i in (0, 2, 4)]
            last = s.api("/alerts?page_size=2").get_json()
            while last["next"]:
                last = s.client.get(last["next"], headers={"Authorization": f"Bearer {ADMIN}"}
                                    ).get_json()
            assert _walk(s, last["previous"], "previous") == pages[:-1][::-1]
            assert _ids(s, "?license=LIC-A") == [ids["normal-a"], ids["blur-a"],
                                                 ids["offline-a"]]
            # Received at 08:00, 08:01 ... 08:04; blur-a (08:01) is pending.
            assert _ids(s, "?start=2027-01-15T08:01:00Z") == newest_first[:4]
            assert _ids(s, "?start=2027-01-15T08:01:00Z&end=2027-01-15T08:02:00Z") == [
                ids["glare-b"], ids["blur-a"]]
            with s.runtime.db.read() as conn:
                assert views.overview(conn, s.clock.now())["alerts_24h"]["total"] == 5
        finally:
            s.worker.shutdown()


def test_time_queries_read_indexes_not_the_whole_table(runtime: Runtime) -> None:
    """SQLite's plan for a page of alerts: each part through its index, no table scan."""
    query = select(alerts.c.id, alerts.c.received_at.label("ts")).where(
        *alert_where(views.AlertFilter(license="LIC-A", start=1.0)))
    batch = batch_query(query, alerts.c.received_at, alerts.c.id, False, views.ALERT_PARTS)
    with runtime.db.read() as conn:
        sql = str(batch.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
    assert any("INDEX ix_alerts_license_received_at" in step for step in plan), plan
    assert any("INDEX ix_alerts_pending" in step for step in plan), plan
    assert not any(step.startswith("SCAN alerts") and "INDEX" not in step for step in plan)
