"""Slack family: CommonMark that Apprise turns into mrkdwn; Block Kit with ``?blocks=yes``.

Block Kit limits a header to 150 characters and a section to 3000, and Slack
rejects the whole message beyond them, so both are cut to fit in that mode.
Images are uploaded as files in bot mode and linked in the text always.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from router.channels import compose
from router.channels.context import images_of
from router.channels.families import slack_blocks
from router.channels.message import Rendered
from router.channels.sandbox import clip
from router.rules.templates import TemplateText

LIMIT = 15
HEADER_MAX = 150
SECTION_MAX = 3000


def render(context: Mapping[str, Any], text: TemplateText, url: str) -> Rendered:
    title = compose.title("slack", text, context)
    body = compose.body("slack", text, context)
    if slack_blocks(url):
        title = clip(title, HEADER_MAX)
        # Apprise escapes & < > as entities (5 characters each): leave room for them.
        body = clip(body, SECTION_MAX - 4 * sum(body.count(c) for c in "&<>"))
    return Rendered(title=title, body=body, body_format="markdown",
                    images=images_of(context["events"]), family="slack")
