"""The rendered message of one target: the value the render stage hands to delivery.

It is stored on the delivery as JSON (``to_dict``/``from_dict``), so a retry
sends exactly what was rendered, and old rows (without the newer fields) still load.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import TypeAdapter


@dataclass(frozen=True)
class Image:
    """An image that goes with a message: ``role`` is "snapshot" or "reference".

    ``cid`` names it inside the message (e-mail ``cid:`` references, attachment
    file names); empty for images that are only linked.
    """

    role: Literal["snapshot", "reference"]
    url: str
    camera: str = ""
    cid: str = ""


@dataclass(frozen=True)
class Rendered:
    """One message as one target will receive it."""

    title: str
    body: str
    body_format: Literal["text", "markdown", "html"] = "text"  # Apprise's names
    html: str | None = None  # e-mail: the HTML part (the text part is derived from it)
    images: tuple[Image, ...] = ()
    family: str = "generic"  # the channel family it was rendered for
    card: Mapping[str, Any] | None = None  # Teams: the Adaptive Card content
    notes: tuple[str, ...] = ()  # what went wrong while rendering (a template fell back)

    def to_dict(self) -> dict[str, Any]:
        return _RENDERED.dump_python(self, mode="json")  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Rendered:
        # None is how older rows spell "not given"; every field with a default takes it.
        return _RENDERED.validate_python({k: v for k, v in d.items() if v is not None})


_RENDERED: TypeAdapter[Rendered] = TypeAdapter(Rendered)
