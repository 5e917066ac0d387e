"""Why a VisionAlert API call did not give an answer.

    UpstreamError           base; ``str()`` is the reason recorded on an unenriched event
    ├── UpstreamUnavailable connection refused, timeout or 5xx after the retries
    ├── UpstreamThrottled   429 after the retries, or the shared rate limit is booked up
    ├── UpstreamRejected    401/403/404 or an answer that does not parse: retrying won't help
    └── CircuitOpen         recent calls kept failing; failing fast until the cool-down ends

Messages never carry the token.
"""

from __future__ import annotations

from router.errors import RouterError


class UpstreamError(RouterError):
    """A VisionAlert API call failed; the message says why in words an operator reads."""


class UpstreamUnavailable(UpstreamError):
    """The API did not answer usefully (network, timeout, 5xx)."""


class UpstreamThrottled(UpstreamError):
    """The API (or our own shared limiter) says: not now."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UpstreamRejected(UpstreamError):
    """The API refused the request or answered something unusable."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class CircuitOpen(UpstreamError):
    """The breaker is open: no call is made until ``retry_at``."""

    def __init__(self, message: str, retry_at: float) -> None:
        super().__init__(message)
        self.retry_at = retry_at
