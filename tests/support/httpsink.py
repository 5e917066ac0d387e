"""A real threaded HTTP server on 127.0.0.1 that records requests.

    with HttpSink([503, 503, 200], delay=0.0) as sink:
        ...  # POST to sink.url("/hook")
        sink.wait_for(3)

Replies are played in order (an int status or a ``Reply``); once the script
is used up every request gets ``default``. ``delay`` makes each request wait
before answering; ``stop()`` cuts such waits short, so a test ends as soon as
it is done with the sink.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.waiting import wait_for_count


@dataclass(frozen=True)
class Reply:
    """One scripted answer."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float | None = None  # overrides the sink's delay for this reply


@dataclass(frozen=True)
class Recorded:
    """One request as the sink received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    time: float

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


def unused_port() -> int:
    """A loopback port nobody listens on (connections to it are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class HttpSink:
    """Records every request; answers from a script. Start/stop or use as a context manager."""

    def __init__(
        self,
        replies: Iterable[int | Reply] = (),
        *,
        default: int | Reply = 200,
        delay: float = 0.0,
    ) -> None:
        self.delay = delay
        self.default = _reply(default)
        self._script = [_reply(r) for r in replies]
        self._requests: list[Recorded] = []
        self._lock = threading.Condition()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> HttpSink:
        if self._server is not None:
            raise RuntimeError("HttpSink already started")
        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"httpsink-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests still waiting on their delay are released at once."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> HttpSink:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- use -------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("HttpSink is not started")
        return int(self._server.server_address[1])

    def url(self, path: str = "/", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def script(self, replies: Iterable[int | Reply]) -> None:
        """Replace the remaining scripted replies."""
        with self._lock:
            self._script = [_reply(r) for r in replies]

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Recorded]:
        """Block until ``count`` requests arrived; AssertionError after ``timeout``."""
        return wait_for_count(self._lock, self._requests, count, timeout, "HttpSink requests")

    # -- called by the handler ---------------------------------------------------
    def _record(self, request: Recorded) -> Reply:
        with self._lock:
            self._requests.append(request)
            self._lock.notify_all()
            return self._script.pop(0) if self._script else self.default

    def _pause(self, reply: Reply) -> None:
        delay = self.delay if reply.delay is None else reply.delay
        if delay > 0:
            self._stopping.wait(delay)


def _reply(r: int | Reply) -> Reply:
    return r if isinstance(r, Reply) else Reply(status=r)


def _handler_for(sink: HttpSink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            reply = sink._record(Recorded(
                method=self.command, path=parts.path, query=parse_qs(parts.query),
                headers=dict(self.headers.items()), body=body, time=time.monotonic()))
            sink._pause(reply)
            try:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except OSError:
                pass  # the client gave up (timeout test); nothing to answer

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler
