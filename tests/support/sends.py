"""Wait for a worker's in-flight sends: tests read what was delivered right after a step."""

from __future__ import annotations

from router.pipeline.worker import Worker


def wait_for_sends(worker: Worker, timeout: float = 30.0) -> None:
    with worker._lock:
        pending = list(worker._in_flight)
    for fut in pending:
        fut.result(timeout=timeout)
