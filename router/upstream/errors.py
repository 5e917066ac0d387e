"""Why a VisionAlert API call did not give an answer: the ``UpstreamError`` branch.

The classes live in ``router.errors`` (the exception tree is drawn there); this
module re-exports them so ``from router.upstream.errors import ...`` keeps working.
"""

from __future__ import annotations

from router.errors import (
    CircuitOpen,
    UpstreamError,
    UpstreamRejected,
    UpstreamThrottled,
    UpstreamUnavailable,
)

__all__ = ["CircuitOpen", "UpstreamError", "UpstreamRejected", "UpstreamThrottled",
           "UpstreamUnavailable"]
