"""Gather a due group's items and everything the flush checks decide on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from router.model.groups import GroupItem
from router.pipeline.flush.decide import FlushInput
from router.pipeline.flush.inhibit import Inhibition
from router.pipeline.flush.silence import compiled
from router.rules.inhibit import InhibitRule
from router.store import flushes, groups
from router.store.db import Database
from router.store.groups import GroupClaim


def load(db: Database, claim: GroupClaim, *, now: float, inhibit_rules: Sequence[InhibitRule],
         sites: Mapping[str, str], stale_after: float | None = None
         ) -> tuple[list[GroupItem], FlushInput]:
    items = groups.due_items(db, claim, now)
    cameras = [i.camera for i in items]
    # Inhibition needs every camera of the licenses involved, so only when it can apply.
    licenses = sorted({c[0] for c in cameras}) if inhibit_rules and items else None
    found = flushes.facts(db, receiver=claim.receiver, cameras=cameras, now=now,
                          known_in=licenses, stale_after=stale_after)
    inhibition = (Inhibition(inhibit_rules, found.known, sites)
                  if found.known is not None else None)
    return items, FlushInput(now=now, route=claim.route, timing=claim.timing, log=found.log,
                             last_normal=found.last_normal, silences=compiled(found.silences),
                             inhibition=inhibition, sites=sites, incidents=found.incidents)
