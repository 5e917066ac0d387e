"""Vendor hosts on loopback: redirect requests' HTTP transport to a local server.

    with VendorSink({"/api/chat.postMessage": Reply(200, b'{"ok": true}')}) as vendor, \\
            vendor.redirect():
        send("slack://xoxb-.../#general", ...)   # really goes to 127.0.0.1
    vendor.requests[0].header("X-Vendor-Host")    # "slack.com"

Apprise's fixed-host plugins (Slack, Twilio, Vonage, SNS) send through
``requests``; ``redirect()`` rewrites every non-loopback request to this sink
(scheme http, host 127.0.0.1:port; path and query kept) and records the host it
was meant for in ``X-Vendor-Host``, so the real vendor payload is checked.
Replies are chosen by path (exact, else the longest matching prefix), so the
sink answers as the vendor does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from unittest import mock
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from tests.support.httpsink import HttpSink, Recorded, Reply

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class VendorSink(HttpSink):
    """An HttpSink whose replies depend on the request path."""

    def __init__(self, routes: Mapping[str, Reply] | None = None, *,
                 default: Reply | int = 200) -> None:
        super().__init__(default=default)
        self.routes = dict(routes or {})

    def _record(self, request: Recorded) -> Reply:
        fallback = super()._record(request)
        if request.path in self.routes:
            return self.routes[request.path]
        prefixes = [p for p in self.routes if request.path.startswith(p)]
        return self.routes[max(prefixes, key=len)] if prefixes else fallback

    @contextmanager
    def redirect(self) -> Iterator[VendorSink]:
        """Send every non-loopback ``requests`` call to this sink while inside."""
        original = HTTPAdapter.send
        port = self.port

        def send(adapter: HTTPAdapter, request: requests.PreparedRequest,
                 *args: Any, **kwargs: Any) -> requests.Response:
            parts = urlsplit(request.url or "")
            if parts.hostname not in _LOOPBACK:
                request.url = urlunsplit(("http", f"127.0.0.1:{port}", parts.path,
                                          parts.query, ""))
                request.headers["X-Vendor-Host"] = parts.hostname or ""
            return original(adapter, request, *args, **kwargs)

        with mock.patch.object(HTTPAdapter, "send", send):
            yield self

    def to(self, host: str) -> list[Recorded]:
        """The requests that were meant for ``host``."""
        return [r for r in self.requests if r.header("X-Vendor-Host") == host]
