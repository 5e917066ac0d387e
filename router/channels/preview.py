"""What one target receives, as JSON: a rendered message in its channel family's terms.

``explain`` shows this per target. It reads the ``Rendered`` the worker stores on a
delivery and applies what delivery does with it per family (router/pipeline/deliver/compose.py):
SMS sends no title; e-mail sends the HTML with the text part derived from it; Teams
sends the Adaptive Card; Slack gets Block Kit blocks with ``?blocks=yes``, else one
legacy attachment. Nothing here instantiates Apprise, so no secret is touched.
"""

from __future__ import annotations

from typing import Any

from router.channels import gsm
from router.channels.families import slack_blocks
from router.channels.message import Rendered


def preview(url: str, rendered: Rendered) -> dict[str, Any]:
    """The family, the texts and the family's own shape of the message ``url`` receives."""
    out: dict[str, Any] = {
        "family": rendered.family, "title": rendered.title, "body": rendered.body,
        "body_format": rendered.body_format,
        "images": [{"role": i.role, "url": i.url, "camera": i.camera} for i in rendered.images],
        "notes": list(rendered.notes),
    }
    if rendered.family == "slack":
        out.update(_slack(url, rendered))
    elif rendered.family == "teams" and rendered.card is not None:
        out["card"] = dict(rendered.card)
    elif rendered.family == "email":
        out["text"], out["html"] = rendered.body, rendered.html
    elif rendered.family == "sms":
        # The title is not sent: Apprise would put it in front of the fitted text.
        length = gsm.measure(rendered.body)
        out["text"] = rendered.body
        out["sms"] = {"encoding": length.encoding, "units": length.units,
                      "segments": length.segments}
    return out


def _slack(url: str, rendered: Rendered) -> dict[str, Any]:
    """The Slack payload's content as Apprise builds it from the title and the body
    (Apprise turns the CommonMark body into mrkdwn as it sends)."""
    if not slack_blocks(url):
        return {"attachment": {"title": rendered.title, "text": rendered.body}}
    blocks: list[dict[str, Any]] = []
    if rendered.title:  # Slack rejects an empty header
        blocks.append({"type": "header", "text": {"type": "plain_text",
                                                  "text": rendered.title, "emoji": True}})
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": rendered.body}})
    return {"blocks": blocks}
