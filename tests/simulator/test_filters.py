from __future__ import annotations

from flask.testing import FlaskClient

from router.simulator.context import SimContext

from .conftest import API, DEMO, get_all


def test_tag_filter(client: FlaskClient, ctx: SimContext) -> None:
    items = get_all(client, API + "5/logs/?tag=site-c&page_size=200")
    serials = {i["camera_serial"] for i in items}
    assert serials == {c.serial for c in ctx.state.cameras_of(5) if "site-c" in c.tags
                       and ctx.state.latest_log(c.id)}
    assert get_all(client, API + "5/logs/?tag=no-such-tag") == []


def test_serial_filter(client: FlaskClient) -> None:
    items = get_all(client, API + "5/logs/?serial=C1")
    assert items and {i["camera_serial"] for i in items} == {"C1"}
    assert get_all(client, API + "5/logs/?serial=D-0002") == []  # another license's camera


def test_log_status_filter(client: FlaskClient) -> None:
    items = get_all(client, API + "5/logs/?status=offline")
    assert [i["camera_serial"] for i in items] == ["Q2GV-EFGH-5678"]
    assert items[0]["snapshot"] is None


def test_combined_filters(client: FlaskClient) -> None:
    items = get_all(client, API + "5/logs/?tag=site-a&status=anomaly&start=2026-04-10")
    assert {i["camera_serial"] for i in items} == {"Q2GV-ABCD-1234", "Q2GV-MOVE-0004"}


def test_invalid_status_is_400(client: FlaskClient) -> None:
    for path in ("5/logs/", "5/cameras/", "5/cameras/C1/logs/"):
        resp = client.get(API + path + "?status=broken", headers=DEMO)
        assert resp.status_code == 400
        assert resp.json == {"status": [
            "Select a valid choice. broken is not one of the available choices."]}


def test_empty_parameters_are_ignored(client: FlaskClient) -> None:
    full = client.get(API + "5/logs/", headers=DEMO).json["results"]
    got = client.get(API + "5/logs/?status=&start=&tag=", headers=DEMO).json["results"]
    assert got == full


def test_camera_status_filters(client: FlaskClient) -> None:
    def serials(status: str) -> set[str]:
        return {c["serial"] for c in get_all(client, API + f"5/cameras/?status={status}")}

    assert serials("offline") == {"Q2GV-EFGH-5678"}
    assert serials("under_review") == {"Q2GV-REVW-0006"}
    assert serials("config_issue") == {"Q2GV-CONF-0007"}
    assert serials("pending_retry") == {"Q2GV-RTRY-0008"}
    assert serials("no_data") == {"Q2GV-NEW0-0009"}  # no logs: latest_status null
    assert serials("anomaly") == {"Q2GV-ABCD-1234", "C1", "Q2GV-GLAR-0003", "Q2GV-MOVE-0004"}
    new = next(c for c in get_all(client, API + "5/cameras/") if c["serial"] == "Q2GV-NEW0-0009")
    assert new["latest_status"] is None


def test_alert_filters(client: FlaskClient) -> None:
    unsent = get_all(client, API + "5/alerts/?sent=false")
    assert [a["cameras"][0]["serial"] for a in unsent] == ["Q2GV-GLAR-0003"]
    assert len(get_all(client, API + "5/alerts/?sent=1")) == 5
    assert len(get_all(client, API + "5/alerts/?license=LIC-ABC123")) == 6
    assert get_all(client, API + "5/alerts/?license=LIC-XYZ789") == []
    recent = get_all(client, API + "5/alerts/?start=2026-04-10T09:00:00Z")
    assert len(recent) == 3


def test_alert_keeps_reference_of_its_time(client: FlaskClient) -> None:
    alerts = [a for a in get_all(client, API + "5/alerts/")
              if a["cameras"][0]["serial"] == "Q2GV-MOVE-0004"]
    assert len(alerts) == 2
    new_ref, old_ref = (a["cameras"][0]["reference_image"] for a in alerts)
    assert new_ref != old_ref
    current = client.get(API + "5/cameras/Q2GV-MOVE-0004/reference/", headers=DEMO).json
    assert current["reference_image"] == new_ref
