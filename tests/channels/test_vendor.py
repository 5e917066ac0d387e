"""Slack, Twilio, Vonage and SNS: the real vendor payloads, captured on loopback.

requests' transport is redirected to a VendorSink (tests/support/vendor.py) that
answers as each vendor does; the assertions read the fields that carry our content.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest

from router.channels.images import ImageFetcher
from router.channels.render import render_for_target
from router.model import CameraEvent
from router.pipeline.deliver import Attempt, send_rendered
from router.simulator.frames import camera_frame
from tests.channels.golden.samples import EXTERNAL, SINGLE
from tests.support.httpsink import HttpSink, Reply
from tests.support.vendor import VendorSink

JPEG = camera_frame("vendor")
_JSON = {"Content-Type": "application/json"}
VENDOR_REPLIES = {
    "/services/": Reply(200, b"ok"),  # Slack webhook: the body is exactly "ok"
    "/api/chat.postMessage": Reply(200, b'{"ok": true, "channel": "C123", "ts": "1.2"}', _JSON),
    "/api/files.getUploadURLExternal": Reply(
        200, b'{"ok": true, "upload_url": "https://files.slack.com/upload/v1/U1", '
             b'"file_id": "F1"}', _JSON),
    "/upload/v1/": Reply(200, b"OK - 1234"),
    "/api/files.completeUploadExternal": Reply(200, b'{"ok": true, "files": [{"id": "F1"}]}',
                                               _JSON),
    "/2010-04-01/": Reply(201, b'{"sid": "SM1", "status": "queued"}', _JSON),
    "/sms/json": Reply(200, b'{"message-count": "1", "messages": [{"status": "0"}]}', _JSON),
    "/": Reply(200, b"<PublishResponse><PublishResult><MessageId>m1</MessageId>"
                    b"</PublishResult></PublishResponse>", {"Content-Type": "text/xml"}),
}
SLACK_HOOK = "slack://T1ABCDEFG/B2HIJKLMN/abcdefghijklmnopqrstuvwx/#oncall"
SLACK_BOT = "slack://xoxb-1234-5678-abcdefghij/#oncall"
TWILIO = f"twilio://AC{'a' * 32}:{'b' * 32}@+15550001111/+15550002222"
VONAGE = "vonage://abcd1234:abcdef1234567890@15550001111/15550002222"
SNS = "sns://AKIAIOSFODNN7EXAMPLE/wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY/us-east-1/+15550002222"


@pytest.fixture
def vendor() -> Iterator[VendorSink]:
    with VendorSink(VENDOR_REPLIES) as sink, sink.redirect():
        yield sink


@pytest.fixture
def media() -> Iterator[HttpSink]:
    with HttpSink(default=Reply(200, JPEG, {"Content-Type": "image/jpeg"})) as sink:
        yield sink


def _send(url: str, event: CameraEvent = SINGLE, fetcher: ImageFetcher | None = None) -> Attempt:
    rendered = render_for_target(url, [event], receiver="oncall", route="night",
                                 external_url=EXTERNAL, timezone="Europe/Berlin")
    attempt = send_rendered(url, rendered, connect_timeout=2, read_timeout=5, images=fetcher)
    assert attempt.ok, attempt.error
    return attempt


def _local_images(media: HttpSink) -> tuple[CameraEvent, ImageFetcher]:
    event = CameraEvent(**{**SINGLE.__dict__, "snapshot_url": media.url("/s.jpg"),
                           "reference_url": media.url("/r.jpg")})
    return event, ImageFetcher(["127.0.0.1"], explicit=["127.0.0.1"])


def test_slack_webhook_gets_mrkdwn_with_image_links_and_no_upload(
        vendor: VendorSink, media: HttpSink) -> None:
    event, fetcher = _local_images(media)
    _send(SLACK_HOOK, event, fetcher)
    [request] = vendor.to("hooks.slack.com")
    assert request.path == "/services/T1ABCDEFG/B2HIJKLMN/abcdefghijklmnopqrstuvwx"
    payload = request.json()
    assert payload["mrkdwn"] is True
    [attachment] = payload["attachments"]
    assert attachment["title"] == "[LIC-ABC123] Front Entrance: Obstruction, Blur"
    text = attachment["text"]
    assert text.startswith(":rotating_light: *Front Entrance*: Obstruction 87%, Blur 42%")
    assert f"<{media.url('/s.jpg')}|Snapshot>" in text
    assert f"<{media.url('/r.jpg')}|Reference>" in text
    assert "<https://router.example.com/alerts/7|Open in router>" in text
    assert media.requests == []  # webhooks cannot take files: nothing fetched
    assert len(vendor.requests) == 1


def test_slack_bot_posts_block_kit_and_uploads_both_images(
        vendor: VendorSink, media: HttpSink) -> None:
    event, fetcher = _local_images(media)
    _send(SLACK_BOT + "?blocks=yes", event, fetcher)
    post = next(r for r in vendor.requests if r.path == "/api/chat.postMessage")
    assert post.header("Authorization") == "Bearer xoxb-1234-5678-abcdefghij"
    payload = post.json()
    assert payload["channel"] == "#oncall"
    header, section = payload["attachments"][0]["blocks"][:2]
    assert header == {"type": "header", "text": {
        "type": "plain_text", "text": "[LIC-ABC123] Front Entrance: Obstruction, Blur",
        "emoji": True}}
    assert section["text"]["type"] == "mrkdwn"
    assert "*Serial* Q2GV-ABCD-1234" in section["text"]["text"]
    uploads = vendor.to("files.slack.com")
    assert [u.body.split(b'filename="')[1].split(b'"')[0] for u in uploads] == [
        b"snapshot-1.jpg", b"reference-1.jpg"]
    assert all(JPEG in u.body for u in uploads)
    completes = [r.json() for r in vendor.requests
                 if r.path == "/api/files.completeUploadExternal"]
    assert [c["channel_id"] for c in completes] == ["C123", "C123"]


def _form(body: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(body.decode()).items()}


def test_twilio_sms_payload(vendor: VendorSink) -> None:
    _send(TWILIO)
    [request] = vendor.to("api.twilio.com")
    assert request.path == f"/2010-04-01/Accounts/AC{'a' * 32}/Messages.json"
    form = _form(request.body)
    assert (form["From"], form["To"]) == ("+15550001111", "+15550002222")
    assert form["Body"].startswith("[LIC-ABC123] Front Entrance (Q2GV-ABCD-1234): "
                                   "Obstruction 87%, Blur 42%. site-a, north.")
    assert form["Body"].endswith("https://router.example.com/alerts/7")
    assert len(form["Body"]) <= 160


def test_vonage_sms_payload(vendor: VendorSink) -> None:
    _send(VONAGE)
    [request] = vendor.to("rest.nexmo.com")
    form = _form(request.body)
    assert (form["from"], form["to"], form["api_key"]) == (
        "15550001111", "15550002222", "abcd1234")
    assert form["text"].startswith("[LIC-ABC123] Front Entrance (Q2GV-ABCD-1234)")
    assert len(form["text"]) <= 160


def test_sns_sms_payload(vendor: VendorSink) -> None:
    _send(SNS)
    [request] = vendor.to("sns.us-east-1.amazonaws.com")
    form = _form(request.body)
    assert (form["Action"], form["PhoneNumber"]) == ("Publish", "+15550002222")
    assert form["Message"].startswith("[LIC-ABC123] Front Entrance (Q2GV-ABCD-1234)")
    assert request.header("Authorization", ).startswith("AWS4-HMAC-SHA256")  # type: ignore[union-attr]


def test_json_target_gets_the_images_as_attachments(media: HttpSink) -> None:
    event, fetcher = _local_images(media)
    with HttpSink() as hook:
        _send(f"json://127.0.0.1:{hook.port}/hook", event, fetcher)
        [request] = hook.requests
    payload = request.json()
    assert "**Front Entrance**" in payload["message"]
    names = [a["filename"] for a in payload["attachments"]]
    assert names == ["snapshot-1.jpg", "reference-1.jpg"]
    assert all(a["mimetype"] == "image/jpeg" for a in payload["attachments"])
    assert json.dumps(payload).count(media.url("/s.jpg")) == 1  # still linked in the text
