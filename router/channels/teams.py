"""Teams family (``workflows://``): an Adaptive Card with a heading, facts and link buttons.

Apprise's own Workflows card holds only a title and a text block, so the card
is built here and handed to Apprise at send time (router/pipeline/deliver/compose.py).
The title and the text block come from the templates (custom ones included);
the facts and the buttons come from the same data and are always present.
Teams fetches card images itself from public URLs, so the snapshot and the
reference are buttons (links), never attachments.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from router.channels import compose
from router.channels.context import images_of
from router.channels.message import Rendered
from router.channels.sandbox import counted
from router.rules.templates import TemplateText

LIMIT = 15
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.4"


def _pairs(pairs: list[tuple[str, int]]) -> str:
    return ", ".join(f"{name} {n}" for name, n in pairs)


def facts(context: Mapping[str, Any]) -> list[dict[str, str]]:
    """The FactSet: what, where, when, for one camera or for a group."""
    event, group = context["event"], context["group"]
    rows: list[tuple[str, str]] = [("License", context["license"])]
    if context["count"] == 1:
        rows += [("Site/tags", ", ".join(event["tags"])), ("Camera", event["name"]),
                 ("Serial", event["serial"]),
                 ("Status", "back to normal" if context["resolved"]
                  else event["status"].replace("_", " "))]
        if not context["resolved"]:
            rows.append(("Anomalies", event["summary"]))
        incident = event.get("incident")
        if incident and incident["lasting"] and not context["resolved"]:
            rows.append(("Ongoing", f"{incident['api_shown'] or event['summary']} since "
                                    f"{incident['since']}, {incident['duration']}; "
                                    f"{incident['checked']}"))
    else:
        rows += [("Cameras", str(context["count"])), ("By problem", _pairs(group["by_kind"])),
                 ("By site/tag", _pairs(counted([t for e in context["events"]
                                                for t in e["tags"]])))]
    rows.append(("Resolved at" if context["resolved"] else "Time", context["time"]))
    return [{"title": name, "value": value} for name, value in rows if value]


def actions(context: Mapping[str, Any]) -> list[dict[str, str]]:
    """Link buttons: the first camera's snapshot and reference, the router's page."""
    event = context["event"]
    single = context["count"] == 1
    found = [("Snapshot" if single else f"Snapshot: {event['name']}", event["links"]["snapshot"]),
             ("Reference" if single else f"Reference: {event['name']}",
              event["links"]["reference"]),
             ("Open in router", context["links"]["alert"] if single else context["links"]["all"]),
             ("Acknowledge" if single else "", event["links"].get("ack") if single else None)]
    return [{"type": "Action.OpenUrl", "title": title, "url": url} for title, url in found if url]


def card(title: str, body: str, context: Mapping[str, Any]) -> dict[str, Any]:
    color = ("Good" if context["resolved"] else "Accent" if context["acknowledged"]
             else "Attention")
    blocks: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": title, "style": "heading", "weight": "Bolder",
         "size": "Large", "color": color, "wrap": True, "id": "title"},
        {"type": "FactSet", "facts": facts(context), "id": "facts"},
    ]
    if body:
        blocks.append({"type": "TextBlock", "text": body, "wrap": True, "id": "body"})
    return {"$schema": SCHEMA, "type": "AdaptiveCard", "version": VERSION, "body": blocks,
            "actions": actions(context), "msteams": {"width": "full"}}


def render(context: Mapping[str, Any], text: TemplateText, url: str) -> Rendered:
    title = compose.title("teams", text, context)
    body = compose.body("teams", text, context)
    return Rendered(title=title, body=body, body_format="markdown",
                    images=images_of(context["events"]), family="teams",
                    card=card(title, body, context))
