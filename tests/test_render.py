"""Render stage: default texts, custom templates, and every template failure as RenderError."""

from __future__ import annotations

import pytest

from router.errors import RouterError
from router.model import CameraEvent, Status
from router.pipeline.render import (
    Rendered,
    RenderError,
    _compile,
    check_template,
    kind_counts,
    percent,
    render,
)

OFFLINE = CameraEvent(
    alert_id=7, index=0, license="LIC-ABC123", serial="S-0001", name="Cam-01",
    tags=("lobby", "north"), status=Status.OFFLINE, label="Offline",
    enriched=False, enrichment_note="VisionAlert API unreachable",
)
BLOCKED = CameraEvent(
    alert_id=7, index=1, license="LIC-ABC123", serial="S-0002", name="Cam-02",
    tags=(), status=Status.ANOMALY, label="Anomaly",
    anomalies={"Obstruction": 0.87, "Blur": None},
    snapshot_url="https://img.example.com/snap.jpg",
    reference_url="https://img.example.com/ref.jpg",
    upstream_alert_id=1001, enriched=True,
)
GATE = CameraEvent(
    alert_id=7, index=2, license="LIC-ABC123", serial="S-0003", name="Gate",
    tags=("gate",), status=Status.OFFLINE, label="Offline", enriched=True,
)


def _render(events: list[CameraEvent], *, title_template: str | None = None,
            body_template: str | None = None, external_url: str | None = None) -> Rendered:
    return render(events, receiver="oncall", route="sites/night", title_template=title_template,
                  body_template=body_template, external_url=external_url)


def test_default_one_camera() -> None:
    out = _render([OFFLINE], external_url="https://router.example.com")
    assert out.title == "[LIC-ABC123] Cam-01 offline"
    assert out.body == (
        "Cam-01 (serial S-0001): offline\n"
        "Tags: lobby, north\n"
        "Not enriched: VisionAlert API unreachable\n"
        "\n"
        "-- route sites/night, receiver oncall\n"
        "https://router.example.com"
    )


def test_default_one_anomaly_with_scores_and_links() -> None:
    out = _render([BLOCKED])
    assert out.title == "[LIC-ABC123] Cam-02 Obstruction, Blur"
    assert out.body == (
        "Cam-02 (serial S-0002): Obstruction 87%, Blur\n"
        "Snapshot: https://img.example.com/snap.jpg\n"
        "Reference: https://img.example.com/ref.jpg\n"
        "\n"
        "-- route sites/night, receiver oncall"
    )


def test_default_several_cameras() -> None:
    out = _render([OFFLINE, BLOCKED, GATE])
    assert out.title == "[LIC-ABC123] 3 cameras: Offline 2, Blur 1, Obstruction 1"
    assert out.body == (
        "Cam-01 (serial S-0001): offline\n"
        "Tags: lobby, north\n"
        "Not enriched: VisionAlert API unreachable\n"
        "\n"
        "Cam-02 (serial S-0002): Obstruction 87%, Blur\n"
        "Snapshot: https://img.example.com/snap.jpg\n"
        "Reference: https://img.example.com/ref.jpg\n"
        "\n"
        "Gate (serial S-0003): offline\n"
        "Tags: gate\n"
        "\n"
        "-- route sites/night, receiver oncall"
    )


def test_not_enriched_without_note_adds_no_line() -> None:
    quiet = CameraEvent(alert_id=1, index=0, license="L", serial="S", name="N", tags=(),
                        status=Status.OFFLINE, label="Offline", enriched=False)
    assert "enriched" not in _render([quiet]).body.lower()


def test_several_licenses_are_all_named() -> None:
    other = CameraEvent(alert_id=8, index=0, license="LIC-XYZ", serial="S-9", name="Far",
                        tags=(), status=Status.NO_DATA, label="No data")
    title = _render([OFFLINE, other]).title
    assert title == "[LIC-ABC123, LIC-XYZ] 2 cameras: No data 1, Offline 1"


def test_custom_templates_see_the_documented_context() -> None:
    out = _render(
        [OFFLINE, BLOCKED],
        title_template="{{ receiver }}/{{ route }}: {{ count }} on {{ license }}",
        # trim_blocks: a block tag at the end of a line eats that line break.
        body_template=(
            "{% for e in events %}\n"
            "{{ e.name }}={{ e.status }}\n"
            "{% for a, s in e.anomalies.items() %}\n"
            "  {{ a }}:{{ s | percent }}\n"
            "{% endfor %}\n"
            "{% endfor %}\n"
            "first={{ event.serial }} url={{ external_url }}"
        ),
    )
    assert out.title == "oncall/sites/night: 2 on LIC-ABC123"
    assert out.body == (
        "Cam-01=offline\nCam-02=anomaly\n  Obstruction:87%\n  Blur:\nfirst=S-0001 url=None"
    )


def test_custom_title_is_folded_to_one_line_and_empty_template_is_empty() -> None:
    out = _render([OFFLINE], title_template="{{ event.name }}\n  is\n{{ event.status }}",
                  body_template="")
    assert out == Rendered(title="Cam-01 is offline", body="")


def test_undefined_variable_is_a_render_error() -> None:
    with pytest.raises(RenderError, match=r"body template uses an undefined value: 'nope'"):
        _render([OFFLINE], body_template="{{ nope }}")
    with pytest.raises(RenderError, match=r"has no attribute 'camera'"):
        _render([OFFLINE], title_template="{{ event.camera }}")


def test_sandbox_blocks_python_internals() -> None:
    expected = r"title template was stopped by the sandbox \(security\): .*unsafe"
    with pytest.raises(RenderError, match=expected):
        _render([OFFLINE], title_template="{{ ''.__class__.__mro__ }}")


def test_syntax_error_is_a_render_error_and_check_template_reports_it() -> None:
    with pytest.raises(RenderError, match=r"body template has a syntax error on line 2"):
        _render([OFFLINE], body_template="ok\n{% if %}")
    problem = check_template("ok\n{% for e in events %}")
    assert problem is not None and problem.startswith("line 2: ")
    assert check_template("{{ event.name }} {{ events | kind_counts }}") is None


def test_runtime_error_in_expression_is_a_render_error() -> None:
    with pytest.raises(RenderError, match=r"ZeroDivisionError"):
        _render([OFFLINE], body_template="{{ 1 / 0 }}")


def test_render_error_is_a_router_error_and_no_events_is_refused() -> None:
    assert issubclass(RenderError, RouterError)
    with pytest.raises(RenderError, match="no camera events"):
        _render([])


def test_compiled_templates_are_cached() -> None:
    source = "{{ count }} cached"
    assert _compile(source) is _compile(source)


def test_filters() -> None:
    assert [percent(0.87), percent(1.0), percent(0), percent(None), percent(42.4)] == [
        "87%", "100%", "0%", "", "42%"]
    events = [e.to_dict() for e in (OFFLINE, BLOCKED, GATE)]
    assert kind_counts(events) == "Offline 2, Blur 1, Obstruction 1"
