"""Rate-limit stage: fixed windows per target, and the digest that carries what waited.

A target with ``rate_limit: N/period`` gets at most N sends per window; a
window opens with the first send after the previous one closed. Messages over
the limit wait; when the window reopens they go out as one digest, so nothing
is dropped and the target sees at most N messages per window.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Window:
    start: float
    sent: int


def take(window: Window | None, *, count: int, period: float, now: float
         ) -> tuple[Window, float | None]:
    """The window after trying to send at ``now``, and when it reopens if refused."""
    if window is None or now >= window.start + period:
        window = Window(now, 0)
    if window.sent < count:
        return Window(window.start, window.sent + 1), None
    return window, window.start + period


def digest(messages: Sequence[Mapping[str, Any]], *, limit: str) -> dict[str, Any]:
    """One message holding every message that waited (a Rendered dict)."""
    formats = {m.get("body_format", "text") for m in messages}
    fmt = formats.pop() if len(formats) == 1 else "text"
    rule = "\n\n---\n\n" if fmt == "markdown" else "\n\n"
    parts = [f"{m.get('title', '')}\n{m.get('body', '')}".strip() for m in messages]
    return {
        "title": f"{len(messages)} notifications held back by the rate limit ({limit})",
        "body": rule.join(parts),
        "body_format": fmt,
        "html": None,
        "images": [],
    }
