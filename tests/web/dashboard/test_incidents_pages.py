"""The incident pages of the dashboard, the acknowledge form and the signed "ack" link,
and the incident figures of the overview. Incidents are rows put in the store."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from sqlalchemy import insert, select

from router.channels import links
from router.model import CameraEvent, Status
from router.model.incidents import open_key
from router.store.schema_groups import incident_events, incidents
from tests.web.dashboard.test_dashboard import csrf_of, log_in
from tests.web.fixtures import START, Site, assert_no_canary, site

__all__ = ["site"]

HOUR = 3600.0


def add_incident(s: Site, serial: str, *, license_code: str = "LIC-I",
                 tags: tuple[str, ...] = ("site-a",), state: str = "open",
                 opened_at: float = START - HOUR, resolved_at: float | None = None,
                 acked_by: str | None = None, alert_id: int = 7) -> int:
    event = CameraEvent(alert_id=alert_id, index=0, license=license_code, serial=serial,
                        name=f"Cam-{serial}", tags=tags, status=Status.OFFLINE,
                        snapshot_url="http://img.invalid/s.jpg",
                        reference_url="http://img.invalid/r.jpg")
    with s.runtime.db.write() as conn:
        new_id = int(conn.execute(insert(incidents).values(
            license=license_code, serial=serial, name=f"Cam-{serial}", tags=list(tags),
            condition="offline",
            open_key=None if state == "resolved" else open_key(license_code, serial),
            state=state, opened_at=opened_at, last_event_at=opened_at, updated_at=opened_at,
            first_alert_id=alert_id, last_camera_event_id=1, events=1, data=event.to_dict(),
            notified=True, acked_by=acked_by,
            acked_at=opened_at + 60 if acked_by else None,
            resolved_at=resolved_at, resolution="tracker" if resolved_at else None,
            resolution_detail="normal again" if resolved_at else None,
        ).returning(incidents.c.id)).scalar_one())
        conn.execute(insert(incident_events).values(
            incident_id=new_id, at=opened_at, kind="opened", detail=f"alert {alert_id}: offline"))
        conn.execute(insert(incident_events).values(
            incident_id=new_id, at=opened_at + 5, kind="notified", receiver="noc",
            notification_id=3, detail="first notification"))
    return new_id


def incident_row(s: Site, incident_id: int) -> Any:
    with s.runtime.db.read() as conn:
        return conn.execute(select(incidents).where(incidents.c.id == incident_id)).one()


def listed(text: str) -> list[str]:
    return re.findall(r'data-incident="(\d+)"', text)


def ack_link(s: Site, license_code: str, serial: str, expires: float = START + HOUR) -> str:
    sign = links.signer(s.runtime.settings)
    assert sign is not None
    return links.ack_path(sign, license_code, serial, expires)


def form_of(path: str, **extra: str) -> dict[str, str]:
    """The link's query arguments as form fields, plus ``extra``."""
    return {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()} | extra


# ------------------------------------------------------------------ pages


def test_incident_pages_need_a_login(site: Site) -> None:
    first = add_incident(site, "A1")
    for path in ("/incidents", f"/incidents/{first}"):
        resp = site.client.get(path)
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/login"), path
    resp = site.client.post(f"/incidents/{first}/ack", data={"name": "Eve"})
    assert resp.status_code in (302, 403)
    assert incident_row(site, first).state == "open"


def test_incidents_list_groups_open_ones_by_site_and_filters(site: Site) -> None:
    a1 = add_incident(site, "A1", opened_at=START - 2 * HOUR)
    b1 = add_incident(site, "B1", license_code="LIC-B", tags=(), state="acknowledged",
                      acked_by="Ann", opened_at=START - HOUR)
    c1 = add_incident(site, "C1", opened_at=START - 5 * HOUR, state="resolved",
                      resolved_at=START - 4 * HOUR)
    log_in(site.client)
    resp = site.client.get("/incidents")
    assert resp.status_code == 200
    page = resp.text
    assert sorted(listed(page)) == sorted([str(a1), str(b1)])  # open now: not the resolved
    assert re.search(r"<h2>site-a <small>1 incident</small>", page)
    assert re.search(r"<h2>LIC-B <small>1 incident</small>", page)  # no tag: the license
    assert "Cam-A1" in page and "2 h" in page and "by Ann" in page
    assert f'href="/incidents/{a1}"' in page
    assert 'href="/incidents">Incidents</a>' in page  # the nav link
    assert listed(site.client.get("/incidents?state=resolved").text) == [str(c1)]
    assert listed(site.client.get("/incidents?state=acknowledged").text) == [str(b1)]
    assert sorted(listed(site.client.get("/incidents?state=all").text)) == sorted(
        [str(a1), str(b1), str(c1)])
    assert listed(site.client.get("/incidents?license=LIC-B").text) == [str(b1)]
    assert listed(site.client.get("/incidents?camera=A1").text) == [str(a1)]
    bad = site.client.get("/incidents?state=sleeping")
    assert bad.status_code == 400 and "unknown state" in bad.text
    assert_no_canary(page)


def test_incidents_list_pages(site: Site) -> None:
    ids = [add_incident(site, f"P{n}", opened_at=START - HOUR + n) for n in range(3)]
    log_in(site.client)
    first = site.client.get("/incidents?page_size=1")
    shown = listed(first.text)
    assert len(shown) == 1 and shown[0] in map(str, ids)
    seen, page = set(shown), first
    while True:
        older = re.search(r'rel="next" href="([^"]+)"', page.text)
        if older is None:
            break
        page = site.client.get(older.group(1).replace("&amp;", "&"))
        assert page.status_code == 200
        seen.update(listed(page.text))
    assert seen == set(map(str, ids))
    newer = re.search(r'rel="prev" href="([^"]+)"', page.text)
    assert newer and "page_size=1" in newer.group(1)


def test_incident_page_shows_images_timeline_and_actions(site: Site) -> None:
    first = add_incident(site, "D1", alert_id=42)
    log_in(site.client)
    resp = site.client.get(f"/incidents/{first}")
    assert resp.status_code == 200
    page = resp.text
    assert 'src="/images/42/0/snapshot"' in page and 'src="/images/42/0/reference"' in page
    assert "opened" in page and "alert 42: offline" in page  # the timeline, oldest first
    assert page.index("alert 42: offline") < page.index("first notification")
    assert f'action="/incidents/{first}/ack"' in page and 'name="comment"' in page
    assert 'name="serial" value="D1"' in page and 'value="24h"' in page  # silence 24 h
    assert site.client.get("/incidents/424242").status_code == 404
    assert_no_canary(page)


def test_the_ack_form_acknowledges_the_incident(site: Site) -> None:
    first = add_incident(site, "E1")
    log_in(site.client)
    page = site.client.get(f"/incidents/{first}")
    forged = site.client.post(f"/incidents/{first}/ack", data={"name": "Eve"})
    assert forged.status_code == 403 and incident_row(site, first).state == "open"
    resp = site.client.post(f"/incidents/{first}/ack", data={
        "name": "Ann", "comment": "driving there", "csrf_token": csrf_of(page)})
    assert (resp.status_code, resp.headers["Location"]) == (303, f"/incidents/{first}")
    row = incident_row(site, first)
    assert (row.state, row.acked_by, row.ack_comment) == ("acknowledged", "Ann", "driving there")
    after = site.client.get(f"/incidents/{first}").text
    assert f"Incident {first} acknowledged by Ann." in after
    assert "driving there" in after and f'action="/incidents/{first}/ack"' not in after
    again = site.client.post(f"/incidents/{first}/ack",
                             data={"name": "Bob", "csrf_token": csrf_of(page)})
    assert again.status_code == 303 and incident_row(site, first).acked_by == "Ann"
    missing = site.client.post("/incidents/424242/ack",
                               data={"name": "Ann", "csrf_token": csrf_of(page)})
    assert missing.status_code == 404 and "There is no incident 424242" in missing.text


def test_the_ack_form_refuses_a_resolved_incident(site: Site) -> None:
    done = add_incident(site, "F1", state="resolved", resolved_at=START - 60)
    log_in(site.client)
    page = site.client.get(f"/incidents/{done}")
    assert f'action="/incidents/{done}/ack"' not in page.text
    resp = site.client.post(f"/incidents/{done}/ack",
                            data={"name": "Ann", "csrf_token": csrf_of(page)})
    assert resp.status_code == 409 and "resolved already" in resp.text
    assert incident_row(site, done).state == "resolved"


# ------------------------------------------------------------------ the signed link


def test_ack_link_get_changes_nothing_and_post_acknowledges(site: Site) -> None:
    first = add_incident(site, "G1", license_code="LIC-G")
    path = ack_link(site, "LIC-G", "G1")
    client = site.app.test_client()  # not logged in: the link is enough
    shown = client.get(path)
    assert shown.status_code == 200
    assert f"Acknowledge incident {first}?" in shown.text and "Cam-G1" in shown.text
    client.get(path)
    assert incident_row(site, first).state == "open"
    no_csrf = client.post("/a/ack", data=form_of(path, name="Ann"))
    assert no_csrf.status_code == 403 and incident_row(site, first).state == "open"
    done = client.post("/a/ack", data=form_of(path, name="Ann", comment="on my way",
                                              incident=str(first),
                                              csrf_token=csrf_of(shown)))
    assert done.status_code == 200
    assert f"Incident {first} of camera G1 acknowledged by Ann" in done.text
    row = incident_row(site, first)
    assert (row.state, row.acked_by, row.ack_comment) == ("acknowledged", "Ann", "on my way")
    twice = client.post("/a/ack", data=form_of(path, name="Bob", csrf_token=csrf_of(shown)))
    assert twice.status_code == 200 and "already acknowledged by Ann" in twice.text
    assert_no_canary(shown.text + done.text)


def test_ack_link_without_a_name_still_acknowledges(site: Site) -> None:
    first = add_incident(site, "H1")
    path = ack_link(site, "LIC-I", "H1")
    client = site.app.test_client()
    shown = client.get(path)
    done = client.post("/a/ack", data=form_of(path, csrf_token=csrf_of(shown)))
    assert done.status_code == 200 and f"Incident {first} of camera H1 acknowledged by" in done.text
    assert incident_row(site, first).state == "acknowledged"


def test_ack_link_tampered_or_expired_is_refused(site: Site) -> None:
    first = add_incident(site, "J1")
    good = ack_link(site, "LIC-I", "J1")
    client = site.app.test_client()
    csrf = csrf_of(client.get(good))
    args = form_of(good)
    token = args["t"]
    tampered = [
        {**args, "serial": "J2"},
        {**args, "license": "LIC-X"},
        {**args, "t": token[:-2] + ("AA" if not token.endswith("AA") else "BB")},
        {**args, "t": str(int(START + 9 * HOUR)) + "." + token.partition(".")[2]},
        {**args, "t": ""},
    ]
    for query in tampered:
        resp = client.get("/a/ack?" + urlencode(query))
        assert resp.status_code == 403 and "Link not accepted" in resp.text, query
        resp = client.post("/a/ack", data={**query, "name": "Eve", "csrf_token": csrf})
        assert resp.status_code == 403 and "Link not accepted" in resp.text, query
    # A silence token is no acknowledge token, even for the same camera.
    sign = links.signer(site.runtime.settings)
    assert sign is not None
    other = sign.token(links.SILENCE, ["LIC-I", "J1"], START + HOUR)
    assert client.get("/a/ack?" + urlencode({**args, "t": other})).status_code == 403
    expired = ack_link(site, "LIC-I", "J1", expires=START - 1)
    resp = client.get(expired)
    assert resp.status_code == 403 and "expired" in resp.text
    assert incident_row(site, first).state == "open"


def test_ack_link_without_an_open_incident(site: Site) -> None:
    done = add_incident(site, "K1", state="resolved", resolved_at=START - 60)
    path = ack_link(site, "LIC-I", "K1")
    client = site.app.test_client()
    resp = client.get(path)
    assert resp.status_code == 404 and "no open incident" in resp.text
    csrf = csrf_of(client.get("/login"))
    post = client.post("/a/ack", data=form_of(path, name="Ann", csrf_token=csrf))
    assert post.status_code == 404 and "no open incident" in post.text
    assert incident_row(site, done).state == "resolved"


def test_ack_link_confirms_again_when_the_incident_changed(site: Site) -> None:
    first = add_incident(site, "M1")
    path = ack_link(site, "LIC-I", "M1")
    client = site.app.test_client()
    csrf = csrf_of(client.get(path))
    resp = client.post("/a/ack", data=form_of(path, incident=str(first + 100), name="Ann",
                                              csrf_token=csrf))
    assert resp.status_code == 409 and f"Acknowledge incident {first}?" in resp.text
    assert incident_row(site, first).state == "open"


# ------------------------------------------------------------------ overview


def test_overview_shows_incident_figures(site: Site) -> None:
    add_incident(site, "O1")
    add_incident(site, "O2", tags=("site-b",))
    add_incident(site, "O3", state="acknowledged", acked_by="Ann")
    # Resolved in the last 24 h after 1 h and 3 h (mean 2 h); one 3 days ago after 8 h.
    add_incident(site, "R1", state="resolved", opened_at=START - 2 * HOUR,
                 resolved_at=START - HOUR)
    add_incident(site, "R2", state="resolved", opened_at=START - 5 * HOUR,
                 resolved_at=START - 2 * HOUR)
    add_incident(site, "R3", state="resolved", opened_at=START - 80 * HOUR,
                 resolved_at=START - 72 * HOUR)
    log_in(site.client)
    page = site.client.get("/").text
    assert re.search(r'id="incidents-open">2<', page)
    assert re.search(r'id="incidents-acknowledged">1<', page)
    assert re.search(r'id="mttr-24h">2 h<', page)
    assert re.search(r'id="mttr-7d">4 h<', page)  # (1 + 3 + 8) / 3


def test_overview_without_incidents(site: Site) -> None:
    log_in(site.client)
    page = site.client.get("/").text
    assert re.search(r'id="incidents-open">0<', page)
    assert re.search(r'id="mttr-24h">\u2013<', page)
