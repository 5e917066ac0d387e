"""E-mail through a real SMTP server (aiosmtpd): MIME structure, inline images, groups."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from router.channels.images import ImageFetcher
from router.channels.render import render_for_target
from router.model import CameraEvent
from router.pipeline.deliver import send_rendered
from router.simulator.frames import camera_frame
from tests.channels.golden.samples import EXTERNAL, SINGLE, group
from tests.support.httpsink import HttpSink, Reply
from tests.support.smtp import Received, SmtpSink

JPEG = camera_frame("email")


@pytest.fixture
def media() -> Iterator[HttpSink]:
    with HttpSink(default=Reply(200, JPEG, {"Content-Type": "image/jpeg"})) as sink:
        yield sink


def _send(events: list[CameraEvent], fetcher: ImageFetcher | None) -> tuple[Received, object]:
    with SmtpSink() as smtp:
        url = smtp.apprise_url()
        rendered = render_for_target(url, events, receiver="oncall", route="night",
                                     external_url=EXTERNAL, timezone="Europe/Berlin")
        attempt = send_rendered(url, rendered, connect_timeout=2, read_timeout=5,
                                images=fetcher)
        assert attempt.ok, attempt.error
        [message] = smtp.wait_for(1)
    return message, attempt


def _event(media: HttpSink, camera: CameraEvent = SINGLE) -> CameraEvent:
    return CameraEvent(**{**camera.__dict__, "snapshot_url": media.url("/snap.jpg"),
                          "reference_url": media.url("/ref.jpg")})


def _inline_parts(message: EmailMessage) -> dict[str, EmailMessage]:
    return {str(p["Content-ID"]).strip("<>"): p for p in message.walk()
            if p.get("Content-ID")}


def test_single_camera_email_has_html_text_and_both_images_side_by_side(
        media: HttpSink) -> None:
    received, attempt = _send([_event(media)], ImageFetcher(["127.0.0.1"],
                                                            explicit=["127.0.0.1"]))
    msg = received.message
    assert received.subject == "[LIC-ABC123] Front Entrance: Obstruction, Blur"
    assert msg.get_content_type() == "multipart/related"
    html = msg.get_body(("html",)).get_content()
    text = received.text
    assert "Q2GV-ABCD-1234" in html and "Obstruction 87%, Blur 42%" in html
    assert "2026" in html and ("CEST" in html or "CET" in html)
    for needle in ("Front Entrance", "Q2GV-ABCD-1234", "Obstruction 87%", media.url("/snap.jpg"),
                   "https://router.example.com/alerts/7"):
        assert needle in text, needle
    parts = _inline_parts(msg)
    assert set(parts) == {"snapshot-1.jpg", "reference-1.jpg"}
    for part in parts.values():
        assert part.get_content_type() == "image/jpeg"
        assert part.get_content_disposition() == "inline"
        assert part.get_content() == JPEG
    # Side by side: both images are cells of one table row.
    rows = [r for r in re.findall(r"<tr>(.*?)</tr>", html, re.S) if "cid:" in r]
    assert len(rows) == 1
    cells = re.findall(r"<td\b.*?</td>", rows[0], re.S)
    assert ['cid:snapshot-1.jpg' in c for c in cells] == [True, False]
    assert ['cid:reference-1.jpg' in c for c in cells] == [False, True]
    assert attempt.notes == ()  # type: ignore[attr-defined]


def test_a_refused_image_becomes_a_link_and_the_reason_is_recorded(media: HttpSink) -> None:
    event = CameraEvent(**{**_event(media).__dict__,
                           "reference_url": "https://elsewhere.example.org/ref.jpg?sig=S"})
    received, attempt = _send([event], ImageFetcher(["127.0.0.1"], explicit=["127.0.0.1"]))
    parts = _inline_parts(received.message)
    assert set(parts) == {"snapshot-1.jpg"}
    html = received.message.get_body(("html",)).get_content()
    assert "cid:reference-1" not in html
    assert '<a href="https://elsewhere.example.org/ref.jpg?sig=S">Reference of Front' in html
    [note] = attempt.notes  # type: ignore[attr-defined]
    assert note.startswith("reference of Front Entrance linked, not attached: host "
                           "elsewhere.example.org is not on the image allowlist")


def test_without_an_image_fetcher_images_are_links(media: HttpSink) -> None:
    received, attempt = _send([_event(media)], None)
    assert _inline_parts(received.message) == {}
    assert media.requests == [] and attempt.notes == ()  # type: ignore[attr-defined]
    assert "cid:" not in received.message.get_body(("html",)).get_content()


def test_group_email_for_50_cameras(media: HttpSink) -> None:
    events = group(50, base=media.url("/media").rstrip("/"))
    received, _ = _send(events, ImageFetcher(["127.0.0.1"], explicit=["127.0.0.1"]))
    assert received.subject == "[LIC-ABC123] 50 cameras: Glare 17, Obstruction 17, Offline 16"
    html = received.message.get_body(("html",)).get_content()
    assert all(f"<td>Cam-{i:02d}" in html for i in range(50))
    assert "and 0 more" not in html and "site-a 17" in html
    # Images of the first cameras only (Cam-02 is offline and has none): 4 inline parts.
    assert set(_inline_parts(received.message)) == {
        "snapshot-1.jpg", "reference-1.jpg", "snapshot-2.jpg", "reference-2.jpg"}
    assert "Cam-49" in received.text
