"""SMS length: one GSM-7 segment for realistic single cameras, never over 3 segments."""

from __future__ import annotations

import pytest

from router.channels import gsm
from router.channels.render import render_for_target
from router.model import CameraEvent, Status
from router.rules.templates import TemplateSet, TemplateText
from tests.channels.golden.samples import AT, EXTERNAL, SINGLE, group

URLS = ["twilio://AC1:tok@+15550001111/+15550002222", "vonage://key:secret@15550001111/1555",
        "sns://KEY/SECRET/us-east-1/+15550002222", "clicksend://user:pw@+15550002222"]


def _sms(events: list[CameraEvent], url: str = URLS[0], **kwargs: object) -> str:
    rendered = render_for_target(url, events, receiver="r", route="x", at=AT,
                                 timezone="Europe/Berlin", **kwargs)  # type: ignore[arg-type]
    assert rendered.family == "sms" and rendered.body_format == "text"
    return rendered.body


def _camera(name: str, serial: str = "Q2GV-ABCD-1234", tags: tuple[str, ...] = ("site-a",),
            **anomalies: float) -> CameraEvent:
    return CameraEvent(alert_id=1, index=0, license="LIC-ABC123", serial=serial, name=name,
                       tags=tags, status=Status.ANOMALY, label="Anomaly",
                       anomalies=anomalies or {"Obstruction": 0.87}, enriched=True)


REALISTIC = ["Front Entrance", "Parking Lot B", "Loading Dock 3 - East", "Lobby Cam 2",
             "Warehouse North Gate", "Main St & 5th Ave"]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("name", REALISTIC)
def test_realistic_single_camera_fits_one_segment_with_the_link(url: str, name: str) -> None:
    text = _sms([_camera(name)], url, external_url=EXTERNAL)
    length = gsm.measure(text)
    assert (length.encoding, length.segments) == ("gsm7", 1), (text, length)
    assert name in text and "Q2GV-ABCD-1234" in text and "Obstruction 87%" in text
    assert text.endswith("https://router.example.com/alerts/1")


def test_long_names_are_shortened_to_stay_in_one_segment() -> None:
    long = _camera("Northern Perimeter Fence Camera Overlooking The Rail Yard Number 17",
                   serial="8f9c2f3e-1b7a-4c55-9d8e-0a1b2c3d4e5f",
                   tags=("logistics-center-frankfurt-main", "perimeter"))
    text = _sms([long], external_url=EXTERNAL)
    assert gsm.measure(text).segments == 1, text
    assert "Northern Peri... (8f9c2f3e-1b7a...)" in text  # names and serial clipped


def test_groups_are_summarised_in_one_segment() -> None:
    text = _sms(group(500), external_url=EXTERNAL)
    assert gsm.measure(text).segments == 1, text
    assert "500 cameras" in text and "more" in text


def test_a_template_that_cannot_fit_is_cut_to_three_segments() -> None:
    template = TemplateSet("chatty", default=TemplateText(
        body="{% for e in events %}{{ e.name }} {{ e.serial }} {{ e.summary }}; {% endfor %}"))
    text = _sms(group(200), template=template)
    length = gsm.measure(text)
    assert length.segments == 3 and text.endswith("...")
    assert length.units > 2 * gsm.MULTI_GSM


def test_non_gsm_characters_are_transliterated() -> None:
    text = _sms([_camera("Café \u201cNord\u201d \u2013 Łódź Garáž")])
    assert "Cafe \"Nord\" - Lodz Garaz" in text.replace("é", "e")
    assert gsm.is_gsm(text) and gsm.measure(text).segments == 1


def test_scripts_without_latin_form_are_counted_as_ucs2_and_still_capped() -> None:
    text = _sms([_camera("北门停车场摄像头")])
    length = gsm.measure(text)
    assert length.encoding == "ucs2" and length.segments == 1 and "北门停车场摄像头" in text
    # UCS-2 leaves 70 characters: the shortest form takes 2 segments, never more than 3.
    long = _sms([_camera("北门停车场摄像头" * 30)])
    assert gsm.measure(long).segments <= 3 and "北门停车场摄像..." in long


@pytest.mark.parametrize(("text", "encoding", "units", "segments"), [
    ("a" * 160, "gsm7", 160, 1), ("a" * 161, "gsm7", 161, 2), ("a" * 459, "gsm7", 459, 3),
    ("{" * 80, "gsm7", 160, 1), ("€" * 81, "gsm7", 162, 2), ("ж" * 70, "ucs2", 70, 1),
    ("ж" * 71, "ucs2", 71, 2), ("😀" * 35, "ucs2", 70, 1), ("", "gsm7", 0, 1)])
def test_measure(text: str, encoding: str, units: int, segments: int) -> None:
    assert gsm.measure(text) == gsm.Length(encoding, units, segments)


def test_clip_to_segments_cuts_at_a_word() -> None:
    text = " ".join(["word"] * 200)
    clipped = gsm.clip_to_segments(text, 3)
    assert gsm.measure(clipped).segments == 3 and clipped.endswith("word...")
    assert gsm.clip_to_segments("short", 1) == "short"
    assert len(SINGLE.name) < 160
