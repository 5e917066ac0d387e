"""Inhibition rules: an active source condition mutes matching targets, recorded as such."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from router.errors import RulesError
from router.model import CameraEvent, Status
from router.pipeline.flush.inhibit import Inhibition, KnownCamera
from router.pipeline.runtime import Runtime
from router.rules import load_rules
from router.rules.inhibit import compile_inhibit_rules
from router.rules.models import RulesSpec
from tests.support.httpsink import HttpSink
from tests.support.site import Site, camera


def _sent(sink: HttpSink) -> list[set[str]]:
    return [set(re.findall(r"Cam-(S\d+)", r.json()["message"])) for r in sink.requests]


def test_offline_camera_mutes_its_own_image_anomalies(make_runtime: Callable[..., Runtime],
                                                      rules_path: Path, database_url: str) -> None:
    make_runtime = partial(make_runtime, database_url=database_url)
    with HttpSink() as sink:
        site = Site(make_runtime, rules_path, f"""\
            receivers:
              hook: {{urls: ["json://127.0.0.1:{sink.port}/hook"]}}
            inhibit_rules:
              - name: offline-mutes-image
                source: {{status: [offline]}}
                target: {{anomalies: [Blur, Obstruction]}}
                equal: [license, camera]
            routes:
              - receivers: [hook]
                group_by: [camera, anomaly]
                group_wait: 0s
            """)
        site.post(camera("S1"))  # S1 offline: sent, and now an active source
        site.run()
        site.post(camera("S1", anomaly="Blur"), camera("S2", anomaly="Blur"))
        site.run()
        assert _sent(sink) == [{"S1"}, {"S2"}]
        assert ("S1", "inhibited") in site.codes()
        with site.db.read() as conn:
            reason = conn.exec_driver_sql(
                "SELECT reason FROM decisions WHERE code = 'inhibited'").scalar_one()
        assert reason == "inhibited (inhibit rule offline-mutes-image)"

        site.post(camera("S1", anomaly="Normal"))  # the source ends
        site.run()
        site.post(camera("S1", anomaly="Blur"))
        site.advance(300)
        assert _sent(sink)[-1] == {"S1"} and len(sink.requests) == 3


def test_site_mostly_offline_mutes_per_camera_route_for_one_site_message(
        make_runtime: Callable[..., Runtime], rules_path: Path, database_url: str) -> None:
    make_runtime = partial(make_runtime, database_url=database_url)
    with HttpSink() as sink:
        site = Site(make_runtime, rules_path, f"""\
            receivers:
              hook: {{urls: ["json://127.0.0.1:{sink.port}/hook"]}}
            inhibit_rules:
              - name: site-down
                source: {{status: [offline]}}
                target: {{status: [offline]}}
                equal: [license, site]
                min_fraction: 0.5
                routes: [per-camera]
            routes:
              - name: per-camera
                receivers: [hook]
                group_by: [camera]
                group_wait: 10s
                continue: true
              - name: per-site
                match: {{status: [offline]}}
                receivers: [hook]
                group_by: [site]
                group_wait: 10s
            """)
        # site-a has 4 known cameras, site-b 2; 3 of site-a go offline, 1 of site-b.
        site.post(*(camera(f"S{i}", anomaly="Normal") for i in range(1, 5)),
                  camera("S5", anomaly="Normal", tags=["site-b"]),
                  camera("S6", anomaly="Normal", tags=["site-b"]))
        site.run()
        site.post(camera("S1"), camera("S2"), camera("S3"), camera("S6", tags=["site-b"]))
        site.run()
        site.advance(10)
        sent = sorted(_sent(sink), key=len)
        # site-a: 3 of 4 offline; site-b: 1 of 2, exactly min_fraction. Both sites speak
        # through their one site message; every per-camera message is muted.
        assert sent == [{"S6"}, {"S1", "S2", "S3"}]
        codes = site.codes()
        assert sorted(s for s, c in codes if c == "inhibited") == ["S1", "S2", "S3", "S6"]


def test_below_the_fraction_per_camera_messages_go_out(make_runtime: Callable[..., Runtime],
                                                       rules_path: Path) -> None:
    with HttpSink() as sink:
        site = Site(make_runtime, rules_path, f"""\
            receivers:
              hook: {{urls: ["json://127.0.0.1:{sink.port}/hook"]}}
            inhibit_rules:
              - source: {{status: [offline]}}
                target: {{status: [offline]}}
                equal: [site]
                min_fraction: 0.75
            routes:
              - receivers: [hook]
                group_by: [camera]
                group_wait: 0s
            """)
        site.post(*(camera(f"S{i}", anomaly="Normal") for i in range(1, 5)))
        site.run()
        site.post(camera("S1"), camera("S2"))  # half of the site: below 0.75
        site.run()
        assert sorted(map(sorted, _sent(sink))) == [["S1"], ["S2"]]


def test_event_never_inhibits_itself() -> None:
    spec = RulesSpec.model_validate({
        "receivers": {"r": {"urls": ["log://"]}}, "routes": [{"receivers": ["r"]}],
        "inhibit_rules": [{"source": {"status": ["offline"]}, "target": {"status": ["offline"]},
                           "equal": ["license"]}]})
    rules = compile_inhibit_rules(spec.inhibit_rules)
    offline = CameraEvent(1, 0, "L", "S1", "Cam-S1", (), Status.OFFLINE, "Offline")
    alone = Inhibition(rules, [KnownCamera("L", "S1", (), (offline,))], {})
    assert alone.inhibited_by(offline, "any") is None
    other = CameraEvent(1, 1, "L", "S2", "Cam-S2", (), Status.OFFLINE, "Offline")
    both = Inhibition(rules, [KnownCamera("L", "S1", (), (offline,)),
                              KnownCamera("L", "S2", (), (other,))], {})
    assert both.inhibited_by(offline, "any") is not None


def test_bad_inhibit_rule_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent("""\
        receivers:
          r: {urls: ["log://"]}
        routes:
          - receivers: [r]
        inhibit_rules:
          - source: {status: [offline]}
            target: {anomalies: [Blur]}
            equal: [licence]
        """))
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    assert any(p.line == 8 and "licence" in p.message for p in caught.value.problems)


def test_the_noc_hears_only_site_wide_outages_and_the_site_its_cameras(
        make_runtime: Callable[..., Runtime], rules_path: Path) -> None:
    with HttpSink() as noc, HttpSink() as oncall:
        site = Site(make_runtime, rules_path, f"""\
            receivers:
              noc: {{urls: ["json://127.0.0.1:{noc.port}/noc"]}}
              oncall: {{urls: ["json://127.0.0.1:{oncall.port}/oncall"]}}
            routes:
              - name: noc-sites
                match: {{status: offline}}
                receivers: [noc]
                group_by: [license, site]
                group_wait: 10s
                continue: true
              - name: site-oncall
                receivers: [oncall]
                group_by: [camera]
                group_wait: 10s
            inhibit_rules:
              - name: not-site-wide
                source: {{status: offline}}
                target: {{status: offline}}
                equal: [license, site]
                below_fraction: 0.5
                routes: [noc-sites]
              - name: site-wide
                source: {{status: offline}}
                target: {{status: offline}}
                equal: [license, site]
                min_fraction: 0.5
                routes: [site-oncall]
            """)
        b = ["site-b"]
        site.post(*(camera(f"S{i}", anomaly="Normal") for i in range(1, 5)),
                  *(camera(f"S{i}", anomaly="Normal", tags=b) for i in range(5, 9)))
        site.run()
        site.post(camera("S1"))  # one camera of four at site A: its on-call only
        site.run()
        site.advance(10)
        assert noc.requests == [] and _sent(oncall) == [{"S1"}]
        site.post(camera("S5", tags=b))  # site B goes down, camera after camera
        site.run()
        site.advance(3)
        site.post(camera("S6", tags=b), camera("S7", tags=b))
        site.run()
        site.advance(10)  # the group's wait collected the outage: 3 of 4, site-wide
        assert _sent(noc) == [{"S5", "S6", "S7"}]
        assert _sent(oncall) == [{"S1"}]  # site B's on-call is not flooded
        assert ("S1", "inhibited") in site.codes("noc")
