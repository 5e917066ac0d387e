"""What the target's HTTP server answered, which Apprise does not tell.

Apprise reports success or failure only; the router needs the status code
(5xx and 429 are worth retrying, other 4xx are not) and ``Retry-After``. Every
Apprise HTTP plugin sends through ``requests``, whose transport adapter
(``HTTPAdapter.send``) every request passes, so it is wrapped once: while a
router send runs inside :func:`capture`, each response's status and
``Retry-After`` are appended to that send's list. Apprise runs a send on a
worker thread with a copy of the caller's context, so the list is found
through a ContextVar and concurrent sends never see each other's responses.
Outside ``capture`` the wrapper only forwards the call. Non-HTTP plugins
(SMTP) record nothing, and their failures count as transient.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import requests.adapters


@dataclass(frozen=True)
class Response:
    status: int
    retry_after: str | None


_SEEN: ContextVar[list[Response] | None] = ContextVar("router_http_seen", default=None)
_LOCK = threading.Lock()
_INSTALLED = False


def install() -> None:
    """Wrap ``HTTPAdapter.send`` once per process (idempotent)."""
    global _INSTALLED
    with _LOCK:
        if _INSTALLED:
            return
        original = requests.adapters.HTTPAdapter.send

        def send(self: requests.adapters.HTTPAdapter, request: Any, *args: Any,
                 **kwargs: Any) -> requests.Response:
            response = original(self, request, *args, **kwargs)
            seen = _SEEN.get()
            if seen is not None:
                seen.append(Response(response.status_code, response.headers.get("Retry-After")))
            return response

        requests.adapters.HTTPAdapter.send = send  # type: ignore[method-assign]
        _INSTALLED = True


@contextmanager
def capture() -> Iterator[list[Response]]:
    """Collect the HTTP responses of the sends made inside the block."""
    install()
    seen: list[Response] = []
    token = _SEEN.set(seen)
    try:
        yield seen
    finally:
        _SEEN.reset(token)
