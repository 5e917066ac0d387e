"""Generic family: every scheme without a family of its own, as markdown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from router.channels import compose
from router.channels.context import images_of
from router.channels.message import Rendered
from router.rules.templates import TemplateText

LIMIT = 20  # cameras listed in a group message


def render(context: Mapping[str, Any], text: TemplateText, url: str) -> Rendered:
    return Rendered(title=compose.title("generic", text, context),
                    body=compose.body("generic", text, context), body_format="markdown",
                    images=images_of(context["events"]), family="generic")
