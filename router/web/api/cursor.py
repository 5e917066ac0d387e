"""Opaque page cursors in URLs, shared by the admin API and the VisionAlert simulator.

A cursor is a small JSON object, base64url-encoded without padding, carried in the
``cursor`` query parameter of the ``next``/``previous`` links (as DRF does).
"""

from __future__ import annotations

import base64
import json
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


class Encodable(Protocol):
    def encode(self) -> str: ...


def pack(fields: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")


def unpack(token: str) -> Any:
    """The JSON value of a token; ValueError when it is not one of ours."""
    return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


def page_url(request_url: str, cursor: Encodable | None) -> str | None:
    """``request_url`` with its ``cursor`` parameter replaced (other filters kept)."""
    if cursor is None:
        return None
    parts = urlsplit(request_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "cursor"]
    query.append(("cursor", cursor.encode()))
    return urlunsplit(parts._replace(query=urlencode(query)))
