"""``visionalert-router check``: validate rules and render every template on sample data."""

from __future__ import annotations

from pathlib import Path

from router.errors import Problem, RulesError
from router.model import CameraEvent, Status
from router.pipeline.render import RenderError, render
from router.rules import load_rules

SAMPLE_EVENTS = [
    CameraEvent(alert_id=1, index=0, license="LIC-ABC123", serial="Q2GV-ABCD-1234",
                name="Front Entrance", tags=("site-a",), status=Status.ANOMALY,
                label="Obstruction", anomalies={"Obstruction": 0.87},
                snapshot_url="https://app.platerecognizer.com/media/s.jpg",
                reference_url="https://app.platerecognizer.com/media/r.jpg", enriched=True),
    CameraEvent(alert_id=1, index=1, license="LIC-ABC123", serial="Q2GV-EFGH-5678",
                name="Parking Lot B", tags=("site-a",), status=Status.OFFLINE,
                label="Offline", enriched=False, enrichment_note="sample"),
]


def check_rules(path: Path) -> str:
    """Raise RulesError with every problem, or return a one-line summary."""
    rules = load_rules(path)
    problems: list[Problem] = []
    for receiver in rules.receivers.values():
        if receiver.title is None and receiver.body is None:
            continue
        for events in (SAMPLE_EVENTS[:1], SAMPLE_EVENTS):
            try:
                render(events, receiver=receiver.name, route="check",
                       title_template=receiver.title, body_template=receiver.body)
            except RenderError as exc:
                line, col = rules.position(f"receivers.{receiver.name}")
                problems.append(Problem(str(path), line, col,
                                        f"receivers.{receiver.name}: template error: {exc}"))
                break
    if problems:
        raise RulesError(problems)
    return f"{len(rules.receivers)} receivers, {len(rules.routes)} routes"
