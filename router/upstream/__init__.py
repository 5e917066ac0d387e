"""The VisionAlert REST API: client, shared rate limit and breaker, enrichment cache.

``build_upstream(settings, db, clock)`` gives a process's :class:`Upstream` (from the
``ROUTER_VISIONALERT_*`` settings); everything it learns is kept in the store.
"""

from router.upstream.build import build_upstream
from router.upstream.errors import (
    CircuitOpen,
    UpstreamError,
    UpstreamRejected,
    UpstreamThrottled,
    UpstreamUnavailable,
)
from router.upstream.service import Upstream

__all__ = [
    "CircuitOpen",
    "Upstream",
    "UpstreamError",
    "UpstreamRejected",
    "UpstreamThrottled",
    "UpstreamUnavailable",
    "build_upstream",
]
