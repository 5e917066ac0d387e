"""The rendered message of one target: the value the render stage hands to delivery.

It is stored on the delivery as JSON (``to_dict``/``from_dict``), so a retry
sends exactly what was rendered, and old rows (without the newer fields) still load.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Image:
    """An image that goes with a message: ``role`` is "snapshot" or "reference".

    ``cid`` names it inside the message (e-mail ``cid:`` references, attachment
    file names); empty for images that are only linked.
    """

    role: str
    url: str
    camera: str = ""
    cid: str = ""


@dataclass(frozen=True)
class Rendered:
    """One message as one target will receive it."""

    title: str
    body: str
    body_format: str = "text"  # "text" | "markdown" | "html" (Apprise's names)
    html: str | None = None  # e-mail: the HTML part (the text part is derived from it)
    images: tuple[Image, ...] = ()
    family: str = "generic"  # the channel family it was rendered for
    card: Mapping[str, Any] | None = None  # Teams: the Adaptive Card content
    notes: tuple[str, ...] = ()  # what went wrong while rendering (a template fell back)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "body": self.body, "body_format": self.body_format,
                "html": self.html, "family": self.family,
                "card": dict(self.card) if self.card is not None else None,
                "notes": list(self.notes),
                "images": [{"role": i.role, "url": i.url, "camera": i.camera, "cid": i.cid}
                           for i in self.images]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Rendered:
        return cls(title=d["title"], body=d["body"], body_format=d.get("body_format", "text"),
                   html=d.get("html"), family=d.get("family", "generic"), card=d.get("card"),
                   notes=tuple(d.get("notes") or ()),
                   images=tuple(Image(**i) for i in d.get("images") or ()))
