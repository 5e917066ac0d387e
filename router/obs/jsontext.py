"""JSON on the webhook path: orjson's speed with the standard library's behaviour.

Every webhook is decoded once and encoded three times (normalised alert, dedup
key, reply: router/receive/replybytes.py), and logged once; the standard encoder
and decoder cost a tenth of the request. orjson refuses a few inputs the standard
library accepts (NaN, integers past 64 bits); those, and every error message, come
from the standard library, so what is accepted and what a sender is told do not
depend on the fast path.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson


def loads(text: bytes | str) -> Any:
    """Parse JSON; raises :class:`json.JSONDecodeError` with the standard message."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def dumps(value: Any, *, sort_keys: bool = False,
          default: Callable[[Any], Any] | None = None) -> str:
    """Compact JSON text, non-ASCII kept as is; ``default`` as in :func:`json.dumps`
    (a log event passes ``str``, so whatever it holds is written)."""
    try:
        return orjson.dumps(value, default=default,
                            option=orjson.OPT_SORT_KEYS if sort_keys else 0).decode()
    except TypeError:  # an integer past 64 bits, a key that is not a string, ...
        return json.dumps(value, sort_keys=sort_keys, separators=(",", ":"),
                          ensure_ascii=False, default=default)
