"""Golden snapshots of every default template: family x (single, group, resolved, unenriched).

The files under tests/channels/golden/<family>/ are the reviewed output. After a deliberate
change: ``UPDATE_GOLDEN=1 pytest tests/channels/test_render_golden.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from router.channels.render import Rendered, render_for_target
from router.model import CameraEvent
from tests.channels.golden.samples import AT, EXTERNAL, NOW, SINGLE, TZ, UNENRICHED, group

GOLDEN = Path(__file__).parent / "golden"
URLS = {
    "generic": "json://hooks.example.com/alert",
    "slack": "slack://T1ABCDEFG/B2HIJKLMN/abcdefghijklmnop/#oncall",
    "teams": "workflows://example.logic.azure.com/abc123workflow/sig456",
    "email": "mailto://user:pw@example.com?to=oncall@example.com",
    "sms": "twilio://AC1234:token@+15550001111/+15550002222",
}
CASES: dict[str, tuple[list[CameraEvent], str]] = {
    "single": ([SINGLE], "firing"),
    "group": (group(24), "firing"),
    "resolved": ([SINGLE, UNENRICHED], "resolved"),
    "unenriched": ([UNENRICHED], "firing"),
}


def _snapshot(rendered: Rendered) -> str:
    parts = [f"title: {rendered.title}", f"format: {rendered.body_format}", "", rendered.body]
    if rendered.images:
        parts += ["", "images:"] + [f"  {i.role} {i.cid or '-'} {i.camera} {i.url}"
                                    for i in rendered.images]
    if rendered.html is not None:
        parts += ["", "--- html ---", rendered.html]
    if rendered.card is not None:
        parts += ["", "--- card ---", json.dumps(rendered.card, indent=2, ensure_ascii=False)]
    return "\n".join(parts) + "\n"


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("family", sorted(URLS))
def test_default_template_matches_golden(family: str, case: str) -> None:
    events, kind = CASES[case]
    rendered = render_for_target(URLS[family], events, receiver="oncall", route="sites/night",
                                 kind=kind, external_url=EXTERNAL, timezone=TZ, at=AT, now=NOW)
    assert rendered.family == family and not rendered.notes
    path = GOLDEN / family / f"{case}.txt"
    actual = _snapshot(rendered)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"no golden file {path}: run with UPDATE_GOLDEN=1 and review it"
    assert actual == path.read_text(encoding="utf-8")
