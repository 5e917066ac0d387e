"""``visionalert-router explain --format text``: the explanation as lines for a person."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

_INDENT = "      "


def explain_text(explained: Mapping[str, Any]) -> Iterator[str]:
    """Per camera the routes tried, per receiver its targets, per target the family and
    the text that target would receive."""
    rules = explained["rules"]
    yield f"rules {rules['source']} (digest {rules['digest'][:12]}) at {explained['at']}"
    for camera in explained["cameras"]:
        yield ""
        tags = f", tags {', '.join(camera['tags'])}" if camera["tags"] else ""
        yield f"camera {camera['serial']} {camera['name']!r}: {camera['status']}{tags}"
        for step in camera["routes"]:
            yield f"  {'✔' if step['matched'] else '✘'} {step['route']}: {step['reason']}"
        if not camera["receivers"]:
            yield "  no receiver: this camera would not be notified"
        for receiver in camera["receivers"]:
            yield f"  → {receiver['receiver']} via {receiver['route']}"
            for message in receiver.get("messages", ()):
                yield from _message(message)


def _message(message: Mapping[str, Any]) -> Iterator[str]:
    yield f"    target {message['target']} [{message['family']}]"
    if "render_error" in message:
        yield f"{_INDENT}render error: {message['render_error']}"
        return
    yield from _texts(message)
    for note in message.get("notes", ()):
        yield f"{_INDENT}note: {note}"


def _texts(message: Mapping[str, Any]) -> Iterator[str]:
    family = message["family"]
    if family == "sms":  # no title: SMS has no subject line
        sms = message["sms"]
        yield (f"{_INDENT}text ({sms['segments']} segment(s), {sms['units']} "
               f"{sms['encoding']} units):")
        yield from _block(message["text"])
        return
    yield f"{_INDENT}title: {message['title']}"
    if family == "email":
        yield f"{_INDENT}text part{' (of the HTML part)' if message['html'] else ''}:"
        yield from _block(message["text"])
        return
    shape = {"slack": "Block Kit" if "blocks" in message else "attachment",
             "teams": "Adaptive Card text block"}.get(family)
    yield f"{_INDENT}body{f' ({shape})' if shape else ''}:"
    yield from _block(message["body"])


def _block(text: str) -> Iterator[str]:
    for line in text.splitlines() or [""]:
        yield f"{_INDENT}  {line}".rstrip()
