"""A per-level index of sibling routes, so routing skips routes that cannot match.

Each route contributes at most one *index key* (the most selective exact value an
event must have: a camera, a license, a tag or a status, see ``index_key`` in
matchers.py); routes without one are always tried. For an event, the candidates
are the unindexed routes plus the routes under the event's values, tried in file
order, so first-match-wins and ``continue`` behave exactly as in a full walk.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from router.model import CameraEvent

if TYPE_CHECKING:
    from router.rules.models import Route

# Most selective first: a camera key names one camera, a status key thousands.
_PREFERENCE = ("camera", "license", "tag", "tag_prefix", "status")


class SiblingIndex:
    """The routes of one level, indexed by their most selective exact key."""

    __slots__ = ("by", "prefix_lengths", "routes", "unindexed")

    def __init__(self, routes: Sequence[Route]) -> None:
        self.routes = tuple(routes)
        self.by: dict[str, dict[str, list[int]]] = {k: {} for k in _PREFERENCE}
        unindexed: list[int] = []
        for position, route in enumerate(self.routes):
            keys = dict(route.index_keys)
            kind = next((k for k in _PREFERENCE if keys.get(k)), None)
            if kind is None:
                unindexed.append(position)
                continue
            for value in keys[kind]:
                self.by[kind].setdefault(value, []).append(position)
        self.unindexed = tuple(unindexed)
        self.prefix_lengths = tuple(sorted({len(p) for p in self.by["tag_prefix"]}))

    @property
    def useful(self) -> bool:
        return len(self.unindexed) < len(self.routes)

    def candidates(self, event: CameraEvent) -> list[int]:
        """Positions of the routes that may match ``event``, in file order."""
        found = set(self.unindexed)
        by = self.by
        for value in (event.serial, event.name):
            found.update(by["camera"].get(value, ()))
        found.update(by["license"].get(event.license, ()))
        tags = by["tag"]
        if tags:
            for tag in event.tags:
                found.update(tags.get(tag, ()))
        prefixes = by["tag_prefix"]
        for length in self.prefix_lengths:
            for tag in event.tags:
                found.update(prefixes.get(tag[:length], ()))
        found.update(by["status"].get(event.status.value, ()))
        return sorted(found)
