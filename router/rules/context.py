"""``MatchContext``: one camera event at one instant, as matchers see it.

Built once per ``route_event`` call; what several matchers need (local times,
the camera's site timezone, the ``when`` variables) is computed on first use.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from router.model import CameraEvent
from router.rules.timewin import local_time


class MatchContext:
    """The event, the routing instant (aware), and the ``sites:`` timezone map."""

    __slots__ = ("_local", "_variables", "event", "now", "sites")

    def __init__(self, event: CameraEvent, now: datetime, sites: Mapping[str, str]) -> None:
        self.event = event
        self.now = now
        self.sites = sites
        self._local: dict[str | None, datetime] = {}
        self._variables: dict[str, Any] | None = None

    @property
    def site_timezone(self) -> str | None:
        """The timezone of the first of the camera's tags listed under ``sites:``."""
        for tag in self.event.tags:
            found = self.sites.get(tag)
            if found is not None:
                return found
        return None

    def local(self, tz: str | None) -> datetime:
        found = self._local.get(tz)
        if found is None:
            found = self._local[tz] = local_time(self.now, tz)
        return found

    def variables(self) -> dict[str, Any]:
        """What a ``when`` expression sees: the event's fields, and ``event`` for all of them."""
        if self._variables is None:
            fields = self.event.to_dict()
            self._variables = {**fields, "event": fields, "site_timezone": self.site_timezone}
        return self._variables
