"""Rate-limit stage: the digest that carries what a target's window held back.

A target with ``rate_limit: N/period`` gets at most N sends per window (the
window is ``router.model.window.Window``). Messages over the limit wait; when
the window reopens they go out as one digest, so nothing is dropped and the
target sees at most N messages per window.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Any

from router.store import ratelimits
from router.store.db import Database
from router.store.notifications import NewNotification, Target


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


def release_limited(db: Database, *, now: float) -> int:
    """Deliveries whose window reopened: one alone is sent as is, several as one digest."""
    with db.write() as conn:
        rows = ratelimits.reopened(conn, now)
        for _key, group in groupby(rows, key=lambda r: r.target_key):
            held = list(group)
            if len(held) == 1:
                ratelimits.send_now(conn, held[0].id, now)
            else:
                ratelimits.merge(conn, [r.id for r in held], digest_of(held), now)
        return len(rows)


def digest_of(held: Sequence[Any]) -> NewNotification:
    """The digest notification for the held-back deliveries of one target."""
    first = held[0]
    message = digest([_message(r) for r in held],
                     limit=f"{first.rate_limit}/{first.rate_period:g}s")
    return NewNotification(
        route=first.route, receiver=first.receiver, title=message["title"],
        body=message["body"], kind="digest",
        camera_event_ids=sorted({i for r in held for i in r.camera_event_ids or ()}),
        reason=f"rate limit digest of {len(held)} notifications",
        targets=[Target(first.target_index, first.target_key, first.target, message,
                        (first.rate_limit, first.rate_period))])


def _message(r: Any) -> dict[str, Any]:
    return dict(r.message) if r.message else {"title": r.title, "body": r.body}
