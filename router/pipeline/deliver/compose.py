"""The message Apprise is given for one target, in the target's channel family.

E-mail goes as HTML (Apprise derives the text part) with the images inline,
Teams as the rendered Adaptive Card, SMS without a title. Images are fetched
through an ``ImageFetcher`` (router/channels/images.py) and attached where the
target takes files (``attaches_images``); a refused or failed image stays a
link (e-mail: its ``<img>`` becomes a link) and the reason is kept in the
attempt's notes, one line per image. Images never block or fail a send.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

from apprise.attachment.memory import AttachMemory

from router.channels.families import attaches_images, family_of
from router.channels.images import ImageFetcher
from router.channels.message import Image, Rendered
from router.errors import ImageRefused

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    """What Apprise is given for one send, after the channel family had its say."""

    title: str
    body: str
    body_format: str = "text"
    attach: tuple[Any, ...] = ()
    notes: tuple[str, ...] = field(default=())


def compose(url: str, rendered: Rendered, plugin: Any, fetcher: ImageFetcher | None) -> Message:
    family = family_of(url)
    attach: list[Any] = []
    notes: list[str] = []
    if fetcher is not None and rendered.images and attaches_images(url):
        attach, notes = _attachments(rendered.images, fetcher)
    title, body, body_format = rendered.title, rendered.body, rendered.body_format
    if family == "sms":
        title = ""  # Apprise would put it in front of the fitted text
    elif family == "email":
        plugin.inline = True  # images referenced by cid: go inline (RFC 2387)
        if rendered.html is not None:
            body, body_format = _email_html(rendered.html, rendered.images, attach), "html"
    elif family == "teams" and rendered.card is not None:
        # Apprise's Workflows card has no facts or buttons; it sends what gen_payload returns.
        plugin.gen_payload = _card_payload(rendered.card)
    return Message(title, body, body_format, tuple(attach), tuple(notes))


def _card_payload(card: Mapping[str, Any]) -> Callable[..., dict[str, Any]]:
    payload = {"type": "message",
               "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                "contentUrl": None, "content": dict(card)}]}
    return lambda *args, **kwargs: payload


def _file_name(image: Image, index: int, extension: str) -> str:
    return f"{image.cid or f'{image.role}-{index}'}.{extension}"


def _attachments(images: tuple[Image, ...],
                 fetcher: ImageFetcher) -> tuple[list[Any], list[str]]:
    """The fetched images as Apprise attachments, and why the others are links."""
    attach: list[Any] = []
    notes: list[str] = []
    for index, image in enumerate(images, start=1):
        try:
            fetched = fetcher.fetch(image.url)
        except ImageRefused as refused:
            notes.append(f"{image.role} of {image.camera or 'camera'} linked, not attached: "
                         f"{refused}")
            log.warning("image not attached", extra={"role": image.role,
                                                      "camera": image.camera,
                                                      "reason": str(refused)})
            continue
        attach.append(AttachMemory(  # type: ignore[no-untyped-call]
            content=fetched.data, mimetype=fetched.content_type,
            name=_file_name(image, index, fetched.extension)))
    return attach, notes


def _email_html(html: str, images: tuple[Image, ...], attach: list[Any]) -> str:
    """Point each ``cid:`` at its attached file, or turn the ``<img>`` into a link."""
    names = {str(a.name).rsplit(".", 1)[0]: str(a.name) for a in attach}
    for image in images:
        if not image.cid:
            continue
        if image.cid in names:
            html = html.replace(f'"cid:{image.cid}"', f'"cid:{names[image.cid]}"')
            continue
        label = f"{image.role.capitalize()} of {image.camera}".strip()
        link = f'<a href="{escape(image.url)}">{escape(label)}</a>'
        # The replacement is literal text: backslashes doubled for re.sub.
        html = re.sub(rf'<img\b[^>]*\bsrc="cid:{re.escape(image.cid)}"[^>]*>',
                      link.replace("\\", "\\\\"), html)
    return html
