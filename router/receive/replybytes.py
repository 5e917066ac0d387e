"""The bytes of a JSON reply, as Flask's ``jsonify`` writes them, at orjson's speed.

Kept for the webhook path only: every webhook gets one, and the lane and the
Flask view must send identical bytes (tests/receive/test_lane_vs_view.py).
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps_reply(value: dict[str, Any]) -> bytes:
    """``json.dumps(value, separators=(",", ":"))`` as bytes: what Flask's JSON provider
    writes outside debug mode (ASCII only, non-ASCII escaped).

    orjson writes the same bytes for an object of strings, integers and booleans
    (the webhook's reply) as long as its output is ASCII and has no DEL, which the
    standard library escapes; anything else goes to the standard library.
    """
    if all(type(v) in _FLAT for v in value.values()):
        try:
            data = orjson.dumps(value)
        except TypeError:  # an integer past 64 bits
            pass
        else:
            if data.isascii() and b"\x7f" not in data:
                return data
    return json.dumps(value, separators=(",", ":")).encode()


_FLAT = (str, int, bool)
