"""Render stage: families, context, custom templates, fallbacks, and `check` of templates."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from router.channels.render import (
    Rendered,
    RenderError,
    check_template,
    kind_counts,
    percent,
    render_family,
    render_for_target,
    template_errors,
)
from router.cli.main import main
from router.errors import RouterError
from router.model import CameraEvent, Status
from router.rules.templates import TemplateSet, TemplateText
from tests.channels.golden.samples import AT, EXTERNAL, NOW, SINGLE, UNENRICHED, group

JSON = "json://hooks.example.com/x"


def _target(url: str, events: list[CameraEvent], **kwargs: object) -> Rendered:
    return render_for_target(url, events, receiver="oncall", route="sites/night", at=AT,
                             now=NOW, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("url", "family"), [
    ("slack://T1/B2/C3", "slack"), ("workflows://h/w/s", "teams"), ("mailto://a@b.c", "email"),
    ("mailtos://a@b.c", "email"), ("twilio://a:b@+1/+2", "sms"), ("vonage://k:s@1/2", "sms"),
    ("sns://k/s/us-east-1/+1", "sms"), ("json://h/x", "generic"), ("discord://a/b", "generic"),
    ("nosuch://x", "generic")])
def test_family_follows_the_scheme(url: str, family: str) -> None:
    assert _target(url, [SINGLE]).family == family


def test_time_is_shown_in_the_route_timezone_and_utc_by_default() -> None:
    assert "2026-04-10 14:30 CEST" in _target(JSON, [SINGLE], timezone="Europe/Berlin").body
    assert "2026-04-10 12:30 UTC" in _target(JSON, [SINGLE]).body
    bad = _target(JSON, [SINGLE], timezone="Mars/Base")
    assert "12:30 UTC" in bad.body and "unknown timezone 'Mars/Base'" in bad.notes[0]


def test_links_to_the_router_page_only_with_an_external_url() -> None:
    assert "https://router.example.com/alerts/7" in _target(
        JSON, [SINGLE], external_url=EXTERNAL + "/").body
    assert "/alerts/" not in _target(JSON, [SINGLE]).body


def test_group_counts_per_anomaly_and_tag_and_truncates() -> None:
    out = _target(JSON, group(50))
    assert out.title == "[LIC-ABC123] 50 cameras: Glare 17, Obstruction 17, Offline 16"
    assert "By site/tag: site-a 17, site-b 17, site-c 16" in out.body
    assert out.body.count("- **Cam-") == 20 and "- and 30 more" in out.body
    assert [i.cid for i in out.images] == ["snapshot-1", "reference-1", "snapshot-2",
                                           "reference-2"]  # Cam-02 is offline, no images


def test_unenriched_event_reads_right_without_scores_or_images() -> None:
    out = _target(JSON, [UNENRICHED])
    assert out.title == "[LIC-ABC123] Parking Lot B: offline"
    assert "Not enriched: VisionAlert API unreachable" in out.body
    assert "Snapshot" not in out.body and out.images == ()


def test_resolved_message() -> None:
    out = _target("slack://T1/B2/C3", [SINGLE], kind="resolved", reason="cleared upstream")
    assert out.title == "Resolved: [LIC-ABC123] Front Entrance is back to normal"
    assert "back to normal; it was: Obstruction 87%, Blur 42%" in out.body
    assert "cleared upstream" in out.body
    with pytest.raises(RenderError, match="unknown message kind"):
        _target(JSON, [SINGLE], kind="pending")


def test_slack_block_kit_limits_are_respected() -> None:
    long = [CameraEvent(**{**SINGLE.__dict__, "name": "N" * 400, "index": i})
            for i in range(40)]
    out = _target("slack://T1/B2/C3/?blocks=yes", long)
    assert len(out.title) <= 150 and len(out.body) <= 3000 and out.body.endswith("...")
    assert len(_target("slack://T1/B2/C3", long).body) > 3000


def test_custom_templates_per_family_see_the_documented_context() -> None:
    template = TemplateSet("t", default=TextOf("{{ receiver }}/{{ route }}: {{ count }}",
                                               "{{ event.name }} {{ links.alert }}"),
                           families={"sms": TextOf(body="{{ sms.width }}|{{ event.serial }}")})
    out = _target(JSON, [SINGLE], template=template, external_url=EXTERNAL)
    assert (out.title, out.body) == ("oncall/sites/night: 1",
                                     "Front Entrance https://router.example.com/alerts/7")
    assert _target("twilio://a:b@+1/+2", [SINGLE], template=template).body == (
        "None|Q2GV-ABCD-1234")


def test_filters_in_custom_templates() -> None:
    body = ("{{ event.anomalies.Obstruction | percent }} {{ at | localtime('%H:%M') }} "
            "{{ (now - 7200) | reltime }} {{ (now + 90) | reltime }} {{ now | reltime }} "
            "{{ events | kind_counts }} {{ 'a*b_c' | md }} {{ 'abcdefgh' | clip(6) }}")
    out = _target(JSON, [SINGLE, UNENRICHED], timezone="America/New_York",
                  template=TemplateSet("f", default=TextOf(body=body)))
    assert out.body == ("87% 08:30 2 h ago in 1 min just now "
                        "Blur 1, Obstruction 1, Offline 1 a\\*b\\_c abc...")


def test_email_custom_html_is_autoescaped_and_custom_text_sends_text() -> None:
    evil = CameraEvent(**{**SINGLE.__dict__, "name": "<script>x</script>"})
    html = _target("mailto://a@b.c", [evil], template=TemplateSet(
        "h", default=TextOf(html="<p>{{ event.name }}</p>")))
    assert html.html == "<p>&lt;script&gt;x&lt;/script&gt;</p>" and html.body_format == "html"
    assert "&lt;script&gt;" in (_target("mailto://a@b.c", [evil]).html or "")
    text = _target("mailto://a@b.c", [SINGLE], template=TemplateSet(
        "t", default=TextOf(body="plain {{ count }}")))
    assert (text.body, text.body_format, text.html) == ("plain 1", "text", None)


def test_a_failing_custom_template_falls_back_to_the_default_and_says_so() -> None:
    out = _target(JSON, [SINGLE], template=TemplateSet("bad", default=TextOf(body="{{ nope }}")))
    assert out.body == _target(JSON, [SINGLE]).body
    assert "template 'bad' failed, default used" in out.notes[0] and "'nope'" in out.notes[0]


def test_rendered_round_trips_through_its_stored_form() -> None:
    for url in ("workflows://h/w/s", "mailto://a@b.c", JSON):
        out = _target(url, [SINGLE], timezone="Mars/Base")
        assert Rendered.from_dict(out.to_dict()) == out
    old = {"title": "t", "body": "b"}  # rows written before the newer fields
    assert Rendered.from_dict(old) == Rendered(title="t", body="b")


def render(events: list[CameraEvent], *, receiver: str, route: str,
           title_template: str | None = None, body_template: str | None = None) -> Rendered:
    """The generic family with a custom text, where template errors raise."""
    return render_family("generic", "", events,
                         TemplateText(title=title_template, body=body_template),
                         receiver=receiver, route=route)


def test_render_errors_and_helpers() -> None:
    assert issubclass(RenderError, RouterError)
    with pytest.raises(RenderError, match=r"undefined value: 'nope'.*available: alert"):
        render([SINGLE], receiver="r", route="x", body_template="{{ nope }}")
    with pytest.raises(RenderError, match="syntax error on line 2"):
        render([SINGLE], receiver="r", route="x", body_template="ok\n{% if %}")
    with pytest.raises(RenderError, match="ZeroDivisionError"):
        render([SINGLE], receiver="r", route="x", body_template="{{ 1 / 0 }}")
    with pytest.raises(RenderError, match="no camera events"):
        render([], receiver="r", route="x")
    out = render([SINGLE], receiver="r", route="x", title_template="{{ event.name }}\n is",
                 body_template="")
    assert (out.title, out.body) == ("Front Entrance is", "")
    assert check_template("ok\n{% for e in events %}") == (
        "line 2: Unexpected end of template. Jinja was looking for the following tags: "
        "'endfor' or 'else'. The innermost block that needs to be closed is 'for'.")
    assert [percent(0.87), percent(1.0), percent(None), percent(42.4)] == [
        "87%", "100%", "", "42%"]
    assert kind_counts([SINGLE.to_dict(), UNENRICHED.to_dict()]) == (
        "Blur 1, Obstruction 1, Offline 1")


def test_template_errors_name_the_family_and_the_case() -> None:
    ok = TemplateSet("ok", default=TextOf("{{ count }}", "{{ group.more }} {{ kind }}"))
    assert template_errors(ok, [SINGLE, UNENRICHED]) == []
    only_group = TemplateSet("g", families={"slack": TextOf(
        body="{% if count > 1 %}{{ events[5].name }}{% endif %}")})
    [error] = template_errors(only_group, [SINGLE, UNENRICHED])
    assert error.startswith("slack (group message): slack body template uses an undefined")
    html = TemplateSet("h", families={"email": TextOf(html="{{ event.nme }}")})
    assert template_errors(html, [SINGLE])[0].startswith("email (single message): email html")


def test_check_command_reports_a_broken_template_with_file_and_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(textwrap.dedent("""\
        receivers:
          noc:
            urls: ["log://"]
            title: "{{ event.name }}"
            body: "{% if count > 1 %}{{ events[3].serial }}{% endif %}"
        routes:
          - receivers: [noc]
        """))
    result = CliRunner().invoke(main, ["check", str(rules)])
    assert result.exit_code == 1, result.output
    assert f"{rules}:" in result.output and "template error" in result.output
    for family in ("generic", "slack", "teams", "email", "sms"):
        assert f"{family} (group message)" in result.output


def TextOf(title: str | None = None, body: str | None = None,
           html: str | None = None) -> TemplateText:
    return TemplateText(title=title, body=body, html=html)


def test_status_words_for_statuses_without_anomalies() -> None:
    review = CameraEvent(**{**UNENRICHED.__dict__, "status": Status.UNDER_REVIEW})
    assert _target(JSON, [review]).title == "[LIC-ABC123] Parking Lot B: under review"
