"""The VisionAlert REST API: client, shared rate limit and breaker, enrichment cache.

``upstream_for(runtime)`` gives the process's :class:`Upstream` (built from
``ROUTER_VISIONALERT_*`` settings); everything it learns is kept in the store.
"""

from router.upstream.errors import (
    CircuitOpen,
    UpstreamError,
    UpstreamRejected,
    UpstreamThrottled,
    UpstreamUnavailable,
)
from router.upstream.registry import build_upstream, upstream_for, use_upstream
from router.upstream.service import Upstream

__all__ = [
    "CircuitOpen",
    "Upstream",
    "UpstreamError",
    "UpstreamRejected",
    "UpstreamThrottled",
    "UpstreamUnavailable",
    "build_upstream",
    "upstream_for",
    "use_upstream",
]
