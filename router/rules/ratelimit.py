"""``rate_limit: 20/minute`` on a receiver: at most that many messages per target."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

_PERIODS = {"s": 1.0, "second": 1.0, "m": 60.0, "minute": 60.0, "h": 3600.0, "hour": 3600.0,
            "d": 86400.0, "day": 86400.0}
_TEXT = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)?\s*([a-z]+?)s?\s*$")


@dataclass(frozen=True)
class RateLimit:
    """``count`` messages per ``period`` seconds, per target."""

    count: int
    period: float


def parse_rate_limit(value: Any) -> RateLimit:
    """``'20/minute'``, ``'10/m'``, ``'100/hour'``, ``'5/10s'`` -> a RateLimit."""
    if isinstance(value, RateLimit):
        return value
    match = _TEXT.match(value) if isinstance(value, str) else None
    unit = match.group(3) if match else ""
    if match is None or unit not in _PERIODS or int(match.group(1)) < 1:
        raise PydanticCustomError(
            "rate_limit", "invalid rate limit {value}: write COUNT/PERIOD, e.g. 20/minute, "
            "10/m, 100/hour, 5/10s", {"value": repr(value)})
    period = float(match.group(2) or 1) * _PERIODS[unit]
    return RateLimit(int(match.group(1)), period)


RateLimitSpec = Annotated[
    RateLimit, BeforeValidator(parse_rate_limit),
    WithJsonSchema({"type": "string", "pattern": r"^\d+/(\d+(\.\d+)?)?[a-z]+$",
                    "description": "messages per period and target, e.g. 20/minute"}),
]
