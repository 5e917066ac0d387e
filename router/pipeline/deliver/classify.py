"""After a failed attempt: retry it (transient) or stop now (permanent), and how soon.

Transient: no HTTP answer (connection refused, reset, timeout), 5xx, 408, 429.
Permanent: a target Apprise cannot use, and any other 4xx (the request itself
is wrong: retrying cannot help). ``Retry-After`` (seconds or an HTTP date) is
honoured as the earliest next attempt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from router.clock import parse_retry_after
from router.pipeline.deliver import Attempt
from router.pipeline.deliver.httpcapture import Response

_RETRYABLE_4XX = frozenset({408, 425, 429})


@dataclass(frozen=True)
class Failure:
    transient: bool
    status: int | None = None
    retry_after: float | None = None

    def describe(self) -> str:
        kind = "transient" if self.transient else "permanent"
        return f"{kind}, HTTP {self.status}" if self.status else kind


def classify(attempt: Attempt, responses: Sequence[Response], now: float) -> Failure:
    if attempt.outcome == "invalid_target":
        return Failure(transient=False)
    answered = responses[-1] if responses else None
    if answered is None:
        return Failure(transient=attempt.transient)
    status = answered.status
    transient = status >= 500 or status in _RETRYABLE_4XX or status < 400
    return Failure(transient, status, parse_retry_after(answered.retry_after, now))
