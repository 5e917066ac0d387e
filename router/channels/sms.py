"""SMS family: plain GSM-7 text in one 160-character segment when it can be, never over 3.

The body template is rendered with shrinking budgets (the ``sms`` context
value: ``width`` of names, ``names`` listed in a group, ``tags``, ``link``)
until the text, transliterated to GSM-7, fits one segment; if even the
smallest budget does not fit, the smallest rendering is cut to at most
``MAX_SEGMENTS``. Custom templates get the same treatment (they may use
``sms`` or ignore it). The title is not sent: SMS has no subject line, and
Apprise would prepend it to the body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from router.channels import compose, gsm
from router.channels.message import Rendered
from router.rules.templates import TemplateText

LIMIT = 3
MAX_SEGMENTS = 3
# From roomy to terse; each step gives up some detail to stay in one segment.
BUDGETS: tuple[dict[str, Any], ...] = (
    {"width": None, "names": 3, "tags": True, "link": True},
    {"width": 24, "names": 2, "tags": True, "link": True},
    {"width": 16, "names": 1, "tags": False, "link": True},
    {"width": 10, "names": 0, "tags": False, "link": True},
    {"width": 10, "names": 0, "tags": False, "link": False},
)


def fit(render_with: Any) -> str:
    """The first budget's text that fits one segment, else the last one cut to 3 segments."""
    text = ""
    for budget in BUDGETS:
        text = gsm.transliterate(" ".join(render_with(budget).split()))
        if gsm.measure(text).segments == 1:
            return text
    return gsm.clip_to_segments(text, MAX_SEGMENTS)


def render(context: Mapping[str, Any], text: TemplateText, url: str) -> Rendered:
    def render_with(budget: Mapping[str, Any]) -> str:
        return compose.body("sms", text, {**context, "sms": budget})

    return Rendered(title=compose.title("sms", text, context), body=fit(render_with),
                    body_format="text", family="sms")
