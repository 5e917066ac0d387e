"""Named crash points for fault-injection tests, off unless ``ROUTER_FAILPOINTS`` is set.

``ROUTER_FAILPOINTS=worker.inbox.claimed=kill,worker.delivery.recorded=kill`` makes
the process SIGKILL itself at those points, which is how the test suite proves
that a worker dying at the worst moment loses nothing and sends nothing twice.
"""

from __future__ import annotations

import os
import signal

_ACTIONS: dict[str, str] | None = None


def _actions() -> dict[str, str]:
    global _ACTIONS
    if _ACTIONS is None:
        spec = os.environ.get("ROUTER_FAILPOINTS", "")
        _ACTIONS = {}
        for item in filter(None, (s.strip() for s in spec.split(","))):
            name, _, action = item.partition("=")
            _ACTIONS[name] = action or "kill"
    return _ACTIONS


def hit(name: str) -> None:
    """Act on the failpoint ``name`` if it is armed; a no-op otherwise."""
    if _actions().get(name) == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
