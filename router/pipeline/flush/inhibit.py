"""Inhibition stage: is a camera event muted because a related condition is active?

Sources are the conditions cameras are known to be in now (``camera_state``).
An index is built once per flush, so checking thousands of events against
thousands of cameras costs one dictionary lookup per event and rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from router.model import CameraEvent, Status
from router.model.cameras import KnownCamera
from router.pipeline.group import label_of
from router.rules.inhibit import InhibitRule, matches


@dataclass
class _RuleIndex:
    rule: InhibitRule
    # equal-field values -> the (serial, status) pairs of active sources there
    sources: dict[tuple[str, ...], set[tuple[str, str]]] = field(default_factory=dict)
    known: dict[tuple[str, ...], int] = field(default_factory=dict)


class Inhibition:
    """Answers "which rule mutes this event on this route?" for one flush."""

    def __init__(self, rules: Sequence[InhibitRule], cameras: Sequence[KnownCamera],
                 sites: Mapping[str, str]) -> None:
        self._sites = sites
        self._rules = [self._index(rule, cameras) for rule in rules]

    def _key(self, rule: InhibitRule, event: CameraEvent) -> tuple[str, ...]:
        return tuple(label_of(event, name, self._sites) for name in rule.equal)

    def _index(self, rule: InhibitRule, cameras: Sequence[KnownCamera]) -> _RuleIndex:
        index = _RuleIndex(rule)
        sources: dict[tuple[str, ...], set[tuple[str, str]]] = defaultdict(set)
        known: dict[tuple[str, ...], int] = defaultdict(int)
        for camera in cameras:
            if rule.min_fraction is not None or rule.below_fraction is not None:
                probe = _probe(camera)
                known[self._key(rule, probe)] += 1
            for event in camera.active:
                if matches(rule.source, event, self._sites):
                    sources[self._key(rule, event)].add((event.serial, event.status.value))
        index.sources, index.known = dict(sources), dict(known)
        return index

    def inhibited_by(self, event: CameraEvent, route: str) -> InhibitRule | None:
        for index in self._rules:
            rule = index.rule
            if not rule.applies_to(route) or not matches(rule.target, event, self._sites):
                continue
            key = self._key(rule, event)
            found = index.sources.get(key, set())
            if rule.min_fraction is not None:
                cameras = {serial for serial, _ in found}
                if cameras and len(cameras) >= rule.min_fraction * index.known.get(key, 0):
                    return rule
            elif rule.below_fraction is not None:
                # The event's own camera is a source too: it is in the condition.
                cameras = {serial for serial, _ in found} | {event.serial}
                if len(cameras) < rule.below_fraction * index.known.get(key, 0):
                    return rule
            elif found - {(event.serial, event.status.value)}:
                # An event never mutes itself (Alertmanager's rule too).
                return rule
        return None


def _probe(camera: KnownCamera) -> CameraEvent:
    """An event carrying only what the equal fields of a known camera can read."""
    latest = camera.active[-1] if camera.active else None
    if latest is not None:
        return latest
    return CameraEvent(alert_id=0, index=0, license=camera.license, serial=camera.serial,
                       name=camera.serial, tags=camera.tags, status=Status.NORMAL, label="")
