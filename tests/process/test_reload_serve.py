"""Hot reload in a running `serve`: the file watcher and SIGHUP."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.rules.test_reload import (
    BROKEN,
    V2,
    _explained_route,
    eventually,
    loaded_everywhere,
    replace_atomically,
    start_service,
)


@pytest.mark.slow
def test_a_running_service_reloads_by_watching_the_file(tmp_path: Path) -> None:
    router, rules, port = start_service(tmp_path, "0.2")
    try:
        assert _explained_route(port) == "v1"
        replace_atomically(rules, V2)
        # Every process watches; a poll that has not come round yet would skip V2.
        eventually(lambda: loaded_everywhere(router, V2), context=lambda: router.output)
        assert all(_explained_route(port) == "v2" for _ in range(6))
        replace_atomically(rules, BROKEN)
        eventually(lambda: "undefined receiver 'nope'" in router.output)
        assert all(_explained_route(port) == "v2" for _ in range(6))
    finally:
        router.stop()


@pytest.mark.slow
def test_a_running_service_reloads_on_sighup(tmp_path: Path) -> None:
    router, rules, port = start_service(tmp_path, "0")  # no polling: only the signal
    assert router.proc is not None
    try:
        replace_atomically(rules, V2)
        os.kill(router.proc.pid, signal.SIGHUP)  # the supervisor forwards it to both roles
        eventually(lambda: loaded_everywhere(router, V2), context=lambda: router.output)
        assert all(_explained_route(port) == "v2" for _ in range(6))
        replace_atomically(rules, BROKEN)
        os.kill(router.proc.pid, signal.SIGHUP)
        eventually(lambda: router.output.count("undefined receiver 'nope'") >= 3)  # 2 web, 1 worker
        assert all(_explained_route(port) == "v2" for _ in range(6))
        assert router.proc.poll() is None
    finally:
        router.stop()
