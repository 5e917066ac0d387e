"""Incidents end to end against a real simulator, on one manual clock: a power cut in
three webhooks, reminders until someone acknowledges (link, API, CLI), and the
resolution announced after the acknowledgement."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from router.cli.main import main
from router.pipeline.runtime import Runtime
from tests.support.httpsink import HttpSink
from tests.support.tracking import Watched, hook_rules, messages, serials_in, watched

EXTERNAL = "https://router.example.com"
LINKS = {"external_url": EXTERNAL, "admin_token": "admin-secret"}
ADMIN = {"Authorization": "Bearer admin-secret"}


def test_a_power_cut_of_300_cameras_in_3_webhooks(make_runtime: Callable[..., Runtime],
                                                   rules_path: Path) -> None:
    route = """\
        group_by: [license]
        group_wait: 30s
        group_interval: 5m
        send_resolved: true"""
    with HttpSink() as sink, watched(
            make_runtime, rules_path, hook_rules(sink, names=("noc", "site"), route=route),
            cameras=300, **LINKS) as site:
        for batch in range(3):
            site.alert("LIC-0", [{"serial": f"C{i:03d}", "status": "offline"}
                                 for i in range(batch * 100, batch * 100 + 100)])
            site.advance(10, step=5)
        site.advance(10 * 60, step=30)
        for receiver in ("noc", "site"):
            problems = messages(sink, f"/{receiver}")
            assert 1 <= len(problems) <= 2
            assert _reachable(site, problems) == {f"C{i:03d}" for i in range(300)}
        link = re.search(r"https://router\.example\.com(/a/n/[^)>\s]+)", problems[0]["message"])
        assert link is not None
        other = link.group(1).replace("/firing?", "/resolved?")  # the token is for firing
        assert site.client.get(other).status_code == 403

        for i in range(300):
            site.log("LIC-0", f"C{i:03d}", "normal")
        site.advance(15 * 60, step=30)
        for receiver in ("noc", "site"):
            sent = messages(sink, f"/{receiver}")
            resolved = [m for m in sent if "back to normal" in m["message"]]
            assert len(resolved) == 1 and "300" in resolved[0]["title"]
            assert _reachable(site, resolved) == {f"C{i:03d}" for i in range(300)}
        assert {(i.state, i.resolution) for i in site.incidents()} == {("resolved", "tracker")}


@pytest.mark.parametrize("how", ["link", "api", "cli"])
def test_reminders_until_acknowledged_and_the_resolution_still_announced(
        how: str, make_runtime: Callable[..., Runtime], rules_path: Path) -> None:
    route = """\
        group_by: [camera]
        group_wait: 0s
        group_interval: 1m
        repeat_interval: 1h
        send_resolved: true"""
    with HttpSink() as sink, watched(make_runtime, rules_path, hook_rules(sink, route=route),
                                     **LINKS) as site:
        blur = {"serial": "C005", "status": "anomaly", "anomalies": {"Blur": 0.91}}
        site.alert("LIC-0", [blur])
        for quarter in range(12):  # three hours; the camera keeps logging Blur
            site.advance(15 * 60, step=60)
            site.log("LIC-0", "C005", "anomaly", {"Blur": 0.91 if quarter % 2 else 0.93})
            if quarter == 5:
                site.alert("LIC-0", [blur])  # an identical re-post at 1 h 30
        site.advance(5 * 60, step=60)
        sent = messages(sink)
        assert len(sent) == 4, [m["message"] for m in sent]  # the problem, a reminder hourly
        reminder = sent[-1]["message"]
        assert "since" in reminder and "3 h" in reminder and "last checked" in reminder
        assert "stale" not in reminder
        assert re.search(r"Blur 0\.9\d", reminder)
        assert sent[-1]["title"] == "Still open: [LIC-0] Camera 005: Blur"
        assert sent[0]["title"] == "[LIC-0] Camera 005: Blur"

        _acknowledge(site, how, sent[-1]["message"], by="Dana")
        site.advance(3 * 3600, step=300)
        assert len(messages(sink)) == 4  # no reminder once acknowledged
        site.log("LIC-0", "C005", "normal")
        site.advance(5 * 60, step=30)
        last = messages(sink)[-1]
        assert len(messages(sink)) == 5 and "back to normal" in last["message"]
        (incident,) = site.incidents()
        assert (incident.state, incident.acked_by) == ("resolved", "Dana")
        codes = [c for _, c in site.codes()]
        assert codes.count("repeat_interval_elapsed") == 3


def _acknowledge(site: Watched, how: str, message: str, *, by: str) -> None:
    (incident,) = site.incidents()
    if how == "api":
        answer = site.client.post(f"/api/v1/incidents/{incident.id}/ack", headers=ADMIN,
                                  json={"by": by, "comment": "driving there"})
        assert answer.status_code == 200, answer.get_data(as_text=True)
    elif how == "cli":
        s = site.runtime.settings
        result = CliRunner().invoke(main, ["incidents", "ack", str(incident.id), "--by", by],
                                    env={"ROUTER_DATABASE_URL": s.database_url,
                                         "ROUTER_RULES_FILE": str(s.rules_file)})
        assert result.exit_code == 0, result.output
    else:
        link = re.search(r"\(<?(https://router\.example\.com/a/ack\?[^)>\s]+)>?\)", message)
        assert link is not None, message
        target = urlsplit(link.group(1).replace("&amp;", "&"))
        page = site.client.get(f"{target.path}?{target.query}")
        assert page.status_code == 200
        form = _Form()
        form.feed(page.get_data(as_text=True))
        assert form.action is not None
        answer = site.client.post(form.action, data={**form.fields, "name": by})
        assert answer.status_code == 200, answer.get_data(as_text=True)


class _Form(HTMLParser):
    """The first POST form of a page: its action and every named input's value."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and self.action is None and (a.get("method") or "").lower() == "post":
            self.action, self._inside = a.get("action") or "", True
        elif tag in ("input", "textarea") and self._inside and a.get("name"):
            self.fields[str(a["name"])] = a.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False


def _reachable(site: Watched, sent: list[dict[str, str]]) -> set[str]:
    """Every camera serial a user reaches from these messages' texts and links."""
    found: set[str] = set()
    for message in sent:
        found |= serials_in({"m": message["message"]})
        for url in re.findall(r"https://router\.example\.com(/a/n/[^)>\s]+)", message["message"]):
            found |= _camera_pages(site, url.replace("&amp;", "&"))
    return found


def _camera_pages(site: Watched, url: str | None) -> set[str]:
    found: set[str] = set()
    while url:
        page = site.client.get(url)
        assert page.status_code == 200, page.get_data(as_text=True)
        html = page.get_data(as_text=True)
        found |= set(re.findall(r'<td class="serial">([^<]+)</td>', html))
        more = re.search(r'<a rel="next" href="([^"]+)"', html)
        url = more.group(1).replace("&amp;", "&") if more else None
    return found


def test_send_acknowledged_tells_every_receiver_who_took_it(
        make_runtime: Callable[..., Runtime], rules_path: Path) -> None:
    route = """\
        group_by: [camera]
        group_wait: 0s
        send_acknowledged: true"""
    with HttpSink() as sink, watched(
            make_runtime, rules_path, hook_rules(sink, names=("noc", "site"), route=route),
            **LINKS) as site:
        site.alert("LIC-0", [{"serial": "C004", "status": "offline"}])
        site.advance(30)
        assert len(messages(sink)) == 2
        (incident,) = site.incidents()
        answer = site.client.post(f"/api/v1/incidents/{incident.id}/ack", headers=ADMIN,
                                  json={"by": "Dana", "comment": "on my way"})
        assert answer.status_code == 200 and answer.get_json()["told"] == 2
        site.advance(30)
        for receiver in ("noc", "site"):
            last = messages(sink, f"/{receiver}")[-1]
            assert last["title"].startswith("Acknowledged: [LIC-0] Camera 004")
            assert "acknowledged by Dana: on my way" in last["message"]
        again = site.client.post(f"/api/v1/incidents/{incident.id}/ack", headers=ADMIN,
                                 json={"by": "Eve"})
        assert again.get_json()["told"] == 0 and again.get_json()["acked_by"] == "Dana"
        site.advance(60)
        assert len(messages(sink)) == 4  # told once
