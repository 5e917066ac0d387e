"""A scripted week of a two-site fleet on one manual clock, against a real simulator:
a site power cut, a lens blurred for two days, a nightly flapping camera, a silenced
maintenance window, a moved camera whose reference is reset, two obstructions and
low-score noise. Every real incident is told once and resolved once; the flaps, the
silenced window and the noise stay quiet."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from router.pipeline.runtime import Runtime
from router.simulator.frames import camera_frame
from tests.simulator.wiring import HTTP, TOKEN
from tests.support.httpsink import HttpSink
from tests.support.tracking import START, Watched, messages, serials_in, watched

DAY, HOUR, MINUTE = 86400.0, 3600.0, 60.0
ADMIN = {"Authorization": "Bearer admin-secret"}
OFFLINE = {"status": "offline"}
QUIET = {"C007", "C010", "C011", "C012", "C001", "C002", "C003"}  # flaps, silenced, noise


def _rules(sink: HttpSink) -> str:
    hooks = "\n".join(f'  {n}: {{urls: ["json://127.0.0.1:{sink.port}/{n}"]}}'
                      for n in ("noc", "oncall"))
    return f"""\
receivers:
{hooks}
defaults:
  group_by: [license]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 24h
  send_resolved: true
  hold_for: 25m
routes:
  - name: offline
    match: {{status: offline}}
    receivers: [noc, oncall]
  - name: view
    match: {{anomalies: {{min_score: 0.5}}}}
    receivers: [oncall]
"""


class Week:
    def __init__(self, site: Watched) -> None:
        self.site = site

    def at(self, day: int, hour: float) -> None:
        """Run the fleet until ``day`` ``hour`` o'clock (the script's next step)."""
        until = START + day * DAY + hour * HOUR
        self.site.advance(until - self.site.clock.now(), step=600)

    def down(self, license: str, serials: list[str], spec: dict[str, object]) -> None:
        self.site.alert(license, [{"serial": s, **spec} for s in serials])

    def log(self, license: str, serials: list[str], status: str = "normal",
            anomalies: dict[str, float] | None = None) -> None:
        for serial in serials:
            self.site.log(license, serial, status, anomalies)


def test_a_scripted_week(make_runtime: Callable[..., Runtime], rules_path: Path) -> None:
    with HttpSink() as sink, watched(make_runtime, rules_path, _rules(sink), licenses=2,
                                     cameras=40, state_interval=600.0,
                                     admin_token="admin-secret") as site:
        week = Week(site)
        site_b = [f"C{i:03d}" for i in range(20, 40)]  # LIC-1 is site-1
        blur = {"status": "anomaly", "anomalies": {"Blur": 0.91}}
        script: list[tuple[int, float, Callable[[], None]]] = [
            # Day 0: site B loses power at 10:00 (two webhooks), back at 12:00.
            (0, 10, lambda: week.down("LIC-1", site_b[:12], OFFLINE)),
            (0, 10.01, lambda: week.down("LIC-1", site_b[12:], OFFLINE)),
            (0, 12, lambda: week.log("LIC-1", site_b)),
            # Day 0 14:00: C005's lens blurs; it logs Blur until it is cleaned on day 2.
            (0, 14, lambda: week.down("LIC-0", ["C005"], blur)),
            (1, 9, lambda: week.log("LIC-0", ["C005"], "anomaly", {"Blur": 0.9})),
            (2, 14, lambda: week.log("LIC-0", ["C005"])),
            # Day 3: maintenance on C010-C012 from 12:30 to 13:30, silenced from 11:00.
            (3, 11, lambda: _silence(site, ["C010", "C011", "C012"])),
            (3, 12.5, lambda: week.down("LIC-0", ["C010", "C011", "C012"], OFFLINE)),
            (3, 13.5, lambda: week.log("LIC-0", ["C010", "C011", "C012"])),
            # Day 4 08:00: C015 is moved; its reference is reset at 09:00.
            (4, 8, lambda: week.down("LIC-0", ["C015"], {
                "status": "anomaly", "anomalies": {"Position change": 0.8}})),
            (4, 9, lambda: (_reset_reference(site, 10, "C015"), week.log("LIC-0", ["C015"]))),
            # Day 5: two obstructions at 13:00 and 13:05, cleared at 15:00.
            (5, 13, lambda: week.down("LIC-0", ["C016"], {
                "status": "anomaly", "anomalies": {"Obstruction": 0.9}})),
            (5, 13 + 5 / 60, lambda: week.down("LIC-0", ["C017"], {
                "status": "anomaly", "anomalies": {"Obstruction": 0.85}})),
            (5, 15, lambda: week.log("LIC-0", ["C016", "C017"])),
        ]
        for day in range(1, 8):
            # Every night at 02:00 C007 drops out for two minutes; its next log is normal.
            script.append((day, 2, lambda: week.down("LIC-0", ["C007"], OFFLINE)))
            script.append((day, 2.25, lambda: week.log("LIC-0", ["C007"])))
            # Low-score noise at 11:00: never routed.
            script.append((day, 11.2, lambda: week.down("LIC-0", ["C001", "C002", "C003"], {
                "status": "anomaly", "anomalies": {"Glare": 0.2}})))
        for day, hour, action in sorted(script, key=lambda s: (s[0], s[1])):
            week.at(day, hour)
            action()
        week.at(7, 23)

        incidents = site.incidents()
        real = {i.serial for i in incidents if i.notified}
        assert real == {*site_b, "C005", "C015", "C016", "C017"}
        assert all(i.state == "resolved" for i in incidents)  # every incident ended
        assert all(i.resolution == "tracker" for i in incidents)
        for receiver, told in (("noc", set(site_b)), ("oncall", real)):
            sent = messages(sink, f"/{receiver}")
            problems = [m for m in sent if "back to normal" not in m["message"]]
            resolved = [m for m in sent if "back to normal" in m["message"]]
            mentioned = set().union(*(serials_in({"m": m["title"] + m["message"]})
                                      for m in sent))
            assert not mentioned & QUIET, mentioned & QUIET
            assert mentioned <= told | {"C001"} - QUIET
            # Counting a problem and its resolved message as one, reminders included.
            per_incident = len(problems) / len(told)
            print(f"{receiver}: {len(told)} incidents told, {len(problems)} problem messages "
                  f"(reminders included), {len(resolved)} resolved: "
                  f"{per_incident:.2f} per incident")
            assert per_incident <= 1.1, (receiver, len(problems), len(told))
            back = Counter(s for m in resolved for s in serials_in({"m": m["message"]}))
            assert set(back) == told  # a resolved message for every incident told
            assert len(resolved) <= len(problems)
        codes = Counter(c for s, c in site.codes() if s == "C007")
        # seven nights, two receivers
        assert codes["suppressed_by_hold_down"] == 14 and codes["first_notification"] == 0
        silenced = Counter(c for s, c in site.codes() if s in {"C010", "C011", "C012"})
        assert silenced["silenced"] == 6 and silenced["first_notification"] == 0


def _silence(site: Watched, serials: list[str]) -> None:
    answer = site.client.post("/api/v1/silences", headers=ADMIN, json={
        "matchers": {"license": ["LIC-0"], "camera": serials}, "duration": "3h",
        "author": "ops", "comment": "maintenance"})
    assert answer.status_code == 201, answer.get_data(as_text=True)


def _reset_reference(site: Watched, license_id: int, serial: str) -> None:
    answer = HTTP.post(f"{site.sim.url}/v1/vision-alert/{license_id}/cameras/{serial}/reference/",
                       headers={"Authorization": f"Token {TOKEN}"},
                       files={"upload": ("ref.jpg", camera_frame(serial), "image/jpeg")})
    assert answer.status_code in (200, 201), answer.text
