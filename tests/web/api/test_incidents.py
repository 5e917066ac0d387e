"""``/api/v1/incidents``: filters and cursor paging, one incident with its timeline,
acknowledging (idempotent, 404, 409, 400), store outages, and the OpenAPI document."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import insert, select

from router.errors import StoreUnavailable
from router.model import CameraEvent, Status
from router.model.incidents import open_key
from router.store.db import Database
from router.store.schema_groups import incident_events, incidents
from tests.web.fixtures import START, Site, camera, site, webhook

__all__ = ["add_incident", "site"]  # the fixture, imported for pytest


def add_incident(db: Database, *, license: str = "LIC-A", serial: str = "A1",
                 tags: tuple[str, ...] = ("site-a",), state: str = "open",
                 opened_at: float = START, condition: str = "offline",
                 resolved_at: float | None = None, resolution: str | None = None,
                 acked_by: str | None = None) -> int:
    """An incident row and its timeline, as the worker would have written them."""
    event = CameraEvent(alert_id=1, index=0, license=license, serial=serial,
                        name=f"Cam-{serial}", tags=tags, status=Status.OFFLINE,
                        label="Offline", snapshot_url="https://img.example/snap.jpg")
    with db.write() as conn:
        new_id = int(conn.execute(insert(incidents).values(
            license=license, serial=serial, name=f"Cam-{serial}", tags=list(tags),
            condition=condition,
            open_key=None if state == "resolved" else open_key(license, serial),
            state=state, opened_at=opened_at, last_event_at=opened_at,
            updated_at=resolved_at or opened_at, first_alert_id=1, last_camera_event_id=1,
            events=1, data=event.to_dict(), notified=False,
            acked_at=opened_at + 30 if acked_by else None, acked_by=acked_by,
            ack_comment="" if acked_by else None, resolved_at=resolved_at,
            resolution=resolution,
            resolution_detail="camera normal again" if resolution else None,
        ).returning(incidents.c.id)).scalar_one())
        lines = [(opened_at, "opened", "alert 1: offline"),
                 (opened_at + 5, "notified", "first notification")]
        if acked_by:
            lines.append((opened_at + 30, "acknowledged", f"by {acked_by}"))
        if resolved_at is not None:
            lines.append((resolved_at, "resolved", "camera normal again"))
        for at, kind, detail in lines:
            conn.execute(insert(incident_events).values(
                incident_id=new_id, at=at, kind=kind, detail=detail,
                receiver="noc" if kind == "notified" else None,
                notification_id=7 if kind == "notified" else None))
    return new_id


def _seed(site: Site) -> dict[str, int]:
    """Five incidents a minute apart, differing in state, license, tag and camera."""
    db = site.runtime.db
    return {
        "a1": add_incident(db, serial="A1", opened_at=START),
        "a2": add_incident(db, serial="A2", tags=("site-a", "lobby"), opened_at=START + 60,
                           state="acknowledged", acked_by="bo"),
        "b1": add_incident(db, license="LIC-B", serial="B1", tags=("site-b",),
                           opened_at=START + 120, state="resolved",
                           resolved_at=START + 420, resolution="tracker"),
        "b2": add_incident(db, license="LIC-B", serial="B2", tags=(),
                           opened_at=START + 180, condition="anomaly:Blur,Glare"),
        "a1-old": add_incident(db, serial="A1", opened_at=START - 3600, state="resolved",
                               resolved_at=START - 600, resolution="webhook"),
    }


def _ids(site: Site, query: str = "") -> list[int]:
    resp = site.api(f"/incidents{query}")
    assert resp.status_code == 200, resp.get_json()
    return [i["id"] for i in resp.get_json()["results"]]


def test_list_is_newest_first_with_filters(site: Site) -> None:
    ids = _seed(site)
    assert _ids(site) == [ids["b2"], ids["b1"], ids["a2"], ids["a1"], ids["a1-old"]]
    assert _ids(site, "?state=open") == [ids["b2"], ids["a1"]]
    assert _ids(site, "?state=acknowledged") == [ids["a2"]]
    assert _ids(site, "?state=RESOLVED") == [ids["b1"], ids["a1-old"]]
    assert _ids(site, "?license=LIC-B") == [ids["b2"], ids["b1"]]
    assert _ids(site, "?tag=site-a") == [ids["a2"], ids["a1"], ids["a1-old"]]
    assert _ids(site, "?tag=lobby") == [ids["a2"]]
    assert _ids(site, "?tag=site") == []  # tags match exactly, not as substrings
    assert _ids(site, "?camera=A1") == [ids["a1"], ids["a1-old"]]
    assert _ids(site, "?camera=A1&state=open") == [ids["a1"]]
    assert _ids(site, "?start=2027-01-15T08:01:00Z&end=2027-01-15T08:02:00Z") == [
        ids["b1"], ids["a2"]]
    assert _ids(site, "?end=2027-01-14") == []
    assert _ids(site, "?state=&license=") == _ids(site)  # blank means no filter


def test_list_rows(site: Site) -> None:
    ids = _seed(site)
    site.clock.advance(600)
    rows = {r["id"]: r for r in site.api("/incidents").get_json()["results"]}
    open_one, resolved = rows[ids["a1"]], rows[ids["b1"]]
    assert open_one["opened_at"] == "2027-01-15T08:00:00Z"
    assert open_one["state"] == "open" and open_one["condition"] == "offline"
    assert open_one["duration"] == 600  # still open: until now
    assert open_one["tags"] == ["site-a"] and open_one["serial"] == "A1"
    assert open_one["data"]["snapshot_url"] == "https://img.example/snap.jpg"
    assert "open_key" not in open_one
    assert resolved["duration"] == 300 and resolved["resolution"] == "tracker"
    assert resolved["resolved_at"] == "2027-01-15T08:07:00Z"
    assert rows[ids["a2"]]["acked_by"] == "bo"


def test_cursor_paging(site: Site) -> None:
    ids = _seed(site)
    everything = _ids(site)
    first = site.api("/incidents?page_size=2&license=LIC-A").get_json()
    assert [r["id"] for r in first["results"]] == [ids["a2"], ids["a1"]]
    assert first["previous"] is None and first["next"]
    assert "license=LIC-A" in first["next"]  # filters are kept
    nxt = urlsplit(first["next"])
    second = site.api(f"/incidents?{nxt.query}").get_json()
    assert [r["id"] for r in second["results"]] == [ids["a1-old"]]
    assert second["next"] is None and second["previous"]
    back = site.api(f"/incidents?{urlsplit(second['previous']).query}").get_json()
    assert [r["id"] for r in back["results"]] == [ids["a2"], ids["a1"]]
    walked: list[int] = []
    query: str | None = "page_size=1"
    while query:
        page = site.api(f"/incidents?{query}").get_json()
        walked += [r["id"] for r in page["results"]]
        query = urlsplit(page["next"]).query if page["next"] else None
    assert walked == everything
    assert len(_ids(site, "?page_size=oops")) == 5  # unusable: the default 50


@pytest.mark.parametrize(("query", "param", "words"), [
    ("?state=foo", "state", ("'foo'", "open", "acknowledged", "resolved")),
    ("?state=all", "state", ("open, acknowledged, resolved",)),
    ("?start=yesterday", "start", ("Enter a valid date",)),
    ("?end=2027-13-01", "end", ("Enter a valid date",)),
    ("?cursor=garbage", "cursor", ("invalid cursor",)),
])
def test_bad_query_parameters_are_400(site: Site, query: str, param: str,
                                      words: tuple[str, ...]) -> None:
    resp = site.api(f"/incidents{query}")
    assert resp.status_code == 400 and resp.mimetype == "application/json"
    body = resp.get_json()
    assert body["detail"]["param"] == param
    for word in words:
        assert word in body["error"]


def test_detail_with_timeline(site: Site) -> None:
    ids = _seed(site)
    resp = site.api(f"/incidents/{ids['b1']}")
    assert resp.status_code == 200
    found = resp.get_json()
    assert found["id"] == ids["b1"] and found["state"] == "resolved"
    assert found["duration"] == 300
    assert [e["kind"] for e in found["timeline"]] == ["opened", "notified", "resolved"]
    assert found["timeline"][0]["at"] == "2027-01-15T08:02:00Z"
    assert found["timeline"][1]["receiver"] == "noc"
    assert found["timeline"][1]["notification_id"] == 7
    assert found["timeline"][2]["detail"] == "camera normal again"


def test_unknown_incident_is_json_404(site: Site) -> None:
    for path in ("/incidents/999", f"/incidents/{2**63}"):
        resp = site.api(path)
        assert resp.status_code == 404 and resp.mimetype == "application/json"
        assert "error" in resp.get_json()
    assert site.api("/incidents/999").get_json()["error"] == "no incident 999"


def _state_in_db(site: Site, incident_id: int) -> Any:
    with site.runtime.db.read() as conn:
        return conn.execute(select(incidents).where(incidents.c.id == incident_id)).one()


def test_ack_then_ack_again_keeps_the_first(site: Site) -> None:
    incident_id = add_incident(site.runtime.db)
    site.clock.advance(120)
    first = site.api(f"/incidents/{incident_id}/ack", method="POST",
                     json={"by": "ana", "comment": "driving there"})
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert body["state"] == "acknowledged" and body["acked_by"] == "ana"
    assert body["ack_comment"] == "driving there" and body["already"] is False
    assert body["acked_at"] == "2027-01-15T08:02:00Z"
    assert body["timeline"][-1]["kind"] == "acknowledged"
    assert _state_in_db(site, incident_id).state == "acknowledged"
    site.clock.advance(60)
    again = site.api(f"/incidents/{incident_id}/ack", method="POST", json={"by": "bo"})
    assert again.status_code == 200
    assert again.get_json()["acked_by"] == "ana" and again.get_json()["already"] is True
    assert again.get_json()["acked_at"] == "2027-01-15T08:02:00Z"
    assert [e["kind"] for e in again.get_json()["timeline"]].count("acknowledged") == 1


def test_ack_without_a_body(site: Site) -> None:
    incident_id = add_incident(site.runtime.db)
    resp = site.api(f"/incidents/{incident_id}/ack", method="POST")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["acked_by"] == "someone"
    other = add_incident(site.runtime.db, serial="A9")
    assert site.api(f"/incidents/{other}/ack", method="POST",
                    json={}).get_json()["state"] == "acknowledged"


def test_ack_unknown_is_404_and_resolved_is_409(site: Site) -> None:
    missing = site.api("/incidents/999/ack", method="POST", json={"by": "ana"})
    assert missing.status_code == 404 and missing.get_json()["error"] == "no incident 999"
    resolved = add_incident(site.runtime.db, state="resolved", resolved_at=START + 60,
                            resolution="tracker")
    refused = site.api(f"/incidents/{resolved}/ack", method="POST", json={"by": "ana"})
    assert refused.status_code == 409 and refused.mimetype == "application/json"
    assert "resolved" in refused.get_json()["error"]
    assert _state_in_db(site, resolved).acked_by is None


@pytest.mark.parametrize("kwargs", [
    {"json": ["ana"]},
    {"json": "ana"},
    {"json": {"by": 7}},
    {"json": {"comment": None}},
    {"json": {"by": "ana", "colour": "red"}},
    {"data": "by=ana", "content_type": "application/x-www-form-urlencoded"},
    {"data": "{not json", "content_type": "application/json"},
])
def test_ack_bad_body_is_400(site: Site, kwargs: dict[str, Any]) -> None:
    incident_id = add_incident(site.runtime.db)
    resp = site.api(f"/incidents/{incident_id}/ack", method="POST", **kwargs)
    assert resp.status_code == 400 and resp.mimetype == "application/json"
    assert resp.get_json()["error"]
    assert _state_in_db(site, incident_id).state == "open"


def test_store_outage_is_503(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    incident_id = add_incident(site.runtime.db)

    def down(*_args: Any, **_kwargs: Any) -> Any:
        raise StoreUnavailable("database is down")

    monkeypatch.setattr(site.runtime.db, "read", down)
    monkeypatch.setattr(site.runtime.db, "write", down)
    for method, path in (("GET", "/incidents"), ("GET", f"/incidents/{incident_id}"),
                         ("POST", f"/incidents/{incident_id}/ack")):
        resp = site.api(path, method=method)
        assert resp.status_code == 503, (method, path)
        assert resp.headers["Retry-After"]


def test_a_routed_webhook_opens_an_incident_that_can_be_acked(site: Site) -> None:
    site.post(webhook("LIC-W", camera("W1", "Offline", ("site-w",)), anomaly="Offline"))
    site.run()
    found = site.api("/incidents?camera=W1").get_json()["results"]
    assert len(found) == 1 and found[0]["state"] == "open"
    assert found[0]["license"] == "LIC-W" and found[0]["tags"] == ["site-w"]
    resp = site.api(f"/incidents/{found[0]['id']}/ack", method="POST", json={"by": "ana"})
    assert resp.status_code == 200 and resp.get_json()["state"] == "acknowledged"
    assert site.api("/incidents?state=open&camera=W1").get_json()["results"] == []


def test_openapi_documents_the_incident_paths(site: Site) -> None:
    doc = site.api("/openapi.json").get_json()
    paths = doc["paths"]
    assert set(paths["/incidents"]) == {"get"}
    assert set(paths["/incidents/{incident_id}"]) == {"get"}
    assert set(paths["/incidents/{incident_id}/ack"]) == {"post"}
    ack = paths["/incidents/{incident_id}/ack"]["post"]["responses"]
    assert {"200", "400", "401", "403", "404", "409", "503"} <= set(ack)
    listed = paths["/incidents"]["get"]
    state = next(p for p in listed["parameters"] if p.get("name") == "state")
    assert state["schema"]["enum"] == ["open", "acknowledged", "resolved"]
    assert {"Incident", "IncidentDetail", "IncidentEvent"} <= set(doc["components"]["schemas"])
