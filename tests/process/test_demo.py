"""`visionalert-router demo` end to end: a real process that must finish on its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.process import RouterProcess

pytestmark = pytest.mark.slow


def test_demo_prints_enriched_notifications_and_exits(tmp_path: Path) -> None:
    demo = RouterProcess(["demo", "--timeout", "90"], {}, tmp_path).start()
    try:
        code = demo.wait_exit(timeout=120)
    finally:
        demo.stop()
    out = demo.output
    assert code == 0, out
    assert re.search(r"^--- notification 1 -", out, re.MULTILINE), out
    for camera in ("Parking Lot B", "Loading Dock", "Lobby", "Stairwell West"):
        assert camera in out.split("--- notification 1", 1)[1], camera
    assert "Obstruction 93%" in out  # scores came from the simulator's API
    assert re.search(r"about 8 of 8 cameras in .*429 responses: 0$", out, re.MULTILINE), out
    assert "Traceback" not in out
