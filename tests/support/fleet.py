"""Helpers for tests that run several real router processes against one sink.

Each webhook carries one camera with a unique serial and name ``Cam-<serial>``,
so a camera event can be counted in the sink's messages however the router
groups them into notifications.
"""

from __future__ import annotations

import json
import re
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from tests.support.httpsink import HttpSink

_CAMERA = re.compile(r"Cam-(E\d+)\b")


def serial(n: int) -> str:
    return f"E{n:05d}"


def webhook(serial_: str) -> dict[str, Any]:
    return {"license": "LIC-FLEET", "anomaly": "Offline", "cameras": [
        {"serial": serial_, "name": f"Cam-{serial_}", "anomaly": "Offline", "tags": ["fleet"]}]}


def write_rules(path: Path, sink: HttpSink) -> Path:
    # One group per camera, sent without waiting: every camera event is its own
    # first notification, as soon as it is routed.
    path.write_text(textwrap.dedent(f"""\
        receivers:
          hook:
            urls: ["json://127.0.0.1:{sink.port}/hook"]
        routes:
          - name: fleet
            receivers: [hook]
            group_by: [camera]
            group_wait: 0s
        """))
    return path


def delivered(sink: HttpSink) -> Counter[str]:
    """How many times each camera serial reached the sink, across all messages."""
    seen: Counter[str] = Counter()
    for request in sink.requests:
        seen.update(set(_CAMERA.findall(json.dumps(request.json()))))
    return seen


def wait_delivered(sink: HttpSink, expected: set[str], timeout: float,
                   alive: Callable[[], None] = lambda: None) -> Counter[str]:
    """Poll until every expected serial arrived; AssertionError naming the missing ones."""
    deadline = time.monotonic() + timeout
    while True:
        seen = delivered(sink)
        missing = expected - set(seen)
        if not missing:
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(missing)} camera events never delivered, "
                                 f"e.g. {sorted(missing)[:10]}")
        alive()
        time.sleep(0.2)


class Poster:
    """Posts webhooks like VisionAlert would: a failed POST is retried until accepted.

    ``urls`` are tried round-robin; a refused connection or a 5xx moves on to the
    next URL after a short pause (a load balancer's retry). Only a 200 counts.
    """

    def __init__(self, urls: Sequence[str], *, threads: int = 8, timeout: float = 60.0) -> None:
        self.urls = list(urls)
        self.threads = threads
        self.deadline = time.monotonic() + timeout
        self.accepted: dict[str, int] = {}  # serial -> alert id
        self.retries = 0
        self._lock = threading.Lock()

    def post_all(self, serials: Sequence[str],
                 on_progress: Callable[[int], None] | None = None) -> None:
        local = threading.local()

        def one(item: tuple[int, str]) -> None:
            i, s = item
            client = getattr(local, "client", None)
            if client is None:
                client = local.client = httpx.Client(timeout=10)
            self._post(client, i, s)
            if on_progress is not None:
                on_progress(len(self.accepted))

        with ThreadPoolExecutor(self.threads) as pool:
            list(pool.map(one, enumerate(serials)))

    def _post(self, client: httpx.Client, i: int, serial_: str) -> None:
        attempt = 0
        while True:
            url = self.urls[(i + attempt) % len(self.urls)]
            try:
                answer = client.post(url, json=webhook(serial_))
                if answer.status_code == 200:
                    with self._lock:
                        self.accepted[serial_] = answer.json()["alert_id"]
                    return
                assert answer.status_code >= 500, answer.text
            except httpx.TransportError:
                pass
            attempt += 1
            with self._lock:
                self.retries += 1
            if time.monotonic() > self.deadline:
                raise AssertionError(f"webhook {serial_} not accepted before the deadline")
            time.sleep(0.2)
