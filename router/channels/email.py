"""E-mail family (``mailto://``, ``mailtos://``): HTML with a plain-text alternative.

The HTML shows the snapshot and the reference side by side as inline images
(``cid:`` parts added at send time). Apprise derives the text/plain part from
the HTML; ``Rendered.body`` holds that same text, so the record shows what a
text-only reader gets. A custom ``html`` template replaces the HTML; a custom
``body`` without ``html`` sends a plain-text e-mail (images still attached).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apprise.common import NotifyFormat
from apprise.conversion import convert_between

from router.channels import compose
from router.channels.context import images_of
from router.channels.message import Rendered
from router.channels.sandbox import default_template, run
from router.rules.templates import TemplateText

LIMIT = 100


def html_to_text(html: str) -> str:
    """The text/plain part Apprise builds from an HTML body."""
    text = convert_between(NotifyFormat.HTML, NotifyFormat.TEXT, html)  # type: ignore[no-untyped-call]
    return compose.tidy(str(text))


def render(context: Mapping[str, Any], text: TemplateText, url: str) -> Rendered:
    title = compose.title("email", text, context)
    images = images_of(context["events"])
    if text.body is not None and text.html is None:
        return Rendered(title=title, body=compose.body("email", text, context),
                        body_format="text", images=images, family="email")
    source = text.html if text.html is not None else default_template("email/body.html.j2")
    html = run("email html", source, context, html=True).strip()
    return Rendered(title=title, body=html_to_text(html), body_format="html", html=html,
                    images=images, family="email")
