"""Channel families from the scheme, and Teams through workflows:// to a local TLS server."""

from __future__ import annotations

import pytest
from apprise.manager_plugins import NotificationManager

from router.channels.families import SMS_SCHEMES, attaches_images, family_of, slack_bot
from router.channels.render import render_for_target
from router.pipeline.deliver import send_rendered
from tests.channels.golden.samples import EXTERNAL, SINGLE, group
from tests.support.tls import TlsSink

# verify=no against the self-signed test server is the point of these tests.
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


def test_every_sms_scheme_is_an_apprise_scheme() -> None:
    known = set(NotificationManager().schemas())  # type: ignore[no-untyped-call]
    assert not SMS_SCHEMES - known


def test_families_and_image_handling_from_the_url() -> None:
    assert family_of("SLACK://a/b/c") == "slack" and family_of("workflow://h/a/b") == "teams"
    assert family_of("no scheme") == "generic"
    assert slack_bot("slack://xoxb-1-2/#c") and slack_bot("slack://bot@xoxb-1-2/#c")
    assert not slack_bot("slack://T1/B2/C3/#c")
    attach = {u: attaches_images(u) for u in (
        "mailto://a@b.c", "slack://xoxb-1-2/#c", "slack://T1/B2/C3", "workflows://h/a/b",
        "twilio://a:b@+1/+2", "json://h/x", "forms://h/x", "discord://a/b")}
    assert attach == {"mailto://a@b.c": True, "slack://xoxb-1-2/#c": True,
                      "slack://T1/B2/C3": False, "workflows://h/a/b": False,
                      "twilio://a:b@+1/+2": False, "json://h/x": True, "forms://h/x": True,
                      "discord://a/b": False}


def _teams(events: list, kind: str = "firing") -> dict:  # type: ignore[type-arg]
    with TlsSink() as server:
        url = f"workflows://127.0.0.1:{server.port}/workflowid123/signature456/?verify=no"
        rendered = render_for_target(url, events, receiver="oncall", route="night", kind=kind,
                                     external_url=EXTERNAL, timezone="Europe/Berlin")
        attempt = send_rendered(url, rendered, connect_timeout=2, read_timeout=5)
        assert attempt.ok, attempt.error
        [request] = server.requests
    assert request.path == "/workflows/workflowid123/triggers/manual/paths/invoke"
    assert request.query["sig"] == ["signature456"]
    payload = request.json()
    assert payload["type"] == "message"
    [attachment] = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card: dict = attachment["content"]  # type: ignore[type-arg]
    assert card["type"] == "AdaptiveCard"
    return card


def test_teams_adaptive_card_has_title_facts_and_image_links() -> None:
    card = _teams([SINGLE])
    title, facts, body = card["body"]
    assert title["text"] == "[LIC-ABC123] Front Entrance: Obstruction, Blur"
    assert {f["title"]: f["value"] for f in facts["facts"]} == {
        "License": "LIC-ABC123", "Site/tags": "site-a, north", "Camera": "Front Entrance",
        "Serial": "Q2GV-ABCD-1234", "Status": "anomaly",
        "Anomalies": "Obstruction 87%, Blur 42%", "Time": facts["facts"][-1]["value"]}
    assert facts["facts"][-1]["value"].endswith(("CET", "CEST"))
    assert "**Front Entrance** reports" in body["text"]
    assert [(a["title"], a["url"]) for a in card["actions"]] == [
        ("Snapshot", SINGLE.snapshot_url), ("Reference", SINGLE.reference_url),
        ("Open in router", "https://router.example.com/alerts/7")]


def test_teams_group_and_resolved_cards() -> None:
    card = _teams(group(30))
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert facts["Cameras"] == "30"
    assert facts["By problem"] == "Glare 10, Obstruction 10, Offline 10"
    assert card["body"][2]["text"].count("\n- ") == 15  # 15 listed + "and 15 more"
    assert card["body"][2]["text"].endswith("- and 15 more")
    resolved = _teams([SINGLE], kind="resolved")
    assert resolved["body"][0]["color"] == "Good"
    assert {f["title"]: f["value"] for f in resolved["body"][1]["facts"]}["Status"] == (
        "back to normal")
