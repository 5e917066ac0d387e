"""Record a routed alert in one transaction: its camera events, the routing decisions,
the cameras' new state, the items joining groups, the incidents they open or join and
the resolutions of cameras back to normal; then finish the inbox entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, insert

from router.model import CameraEvent, Decision, Status
from router.model.groups import GroupItem
from router.model.reasons import Reason
from router.store import camera_state, incidents
from router.store.db import Database
from router.store.groups import add_items
from router.store.inbox import InboxClaim, finish_entry
from router.store.resolve import resolve
from router.store.schema import camera_events, decisions


def record_routing(db: Database, claim: InboxClaim, *, owner: str, now: float,
                   events: Sequence[CameraEvent], decided: Sequence[Decision],
                   items: Sequence[GroupItem]) -> Recorded:
    """Raises LeaseLost (and writes nothing) if another worker took the entry."""
    done = Recorded()
    with db.write() as conn:
        finish_entry(conn, claim, owner=owner, now=now)
        event_ids = _insert_events(conn, claim.alert_id, events, now)
        rows = [_decision(claim.alert_id, event_ids[d.event_index], d, now) for d in decided]
        camera_state.observe(conn, db.dialect, events, now)
        add_items(conn, db.dialect, [
            replace(p, camera_event_id=event_ids[p.event.index], alert_id=claim.alert_id)
            for p in items], now)
        routed = {p.event.index for p in items}
        done.opened = incidents.observe(
            conn, [(e, event_ids[e.index]) for e in events if e.index in routed],
            alert_id=claim.alert_id, now=now)
        for event in events:
            if event.status is Status.NORMAL:
                ended = incidents.resolve(
                    conn, event.license, event.serial, now, how="webhook",
                    detail=f"VisionAlert reported normal (alert {claim.alert_id})")
                if ended is not None:
                    done.resolved_after.append(now - ended.opened_at)
                told = resolve(conn, event.license, event.serial, now,
                               event=event, camera_event_id=event_ids[event.index],
                               alert_id=claim.alert_id)
                rows.append({"alert_id": claim.alert_id,
                             "camera_event_id": event_ids[event.index], "route": None,
                             "receiver": None, "outcome": Reason.BACK_TO_NORMAL.outcome,
                             "reason": f"camera back to normal; resolved message queued "
                                       f"for {told} receiver(s)",
                             "code": Reason.BACK_TO_NORMAL.value, "created_at": now})
        if rows:
            conn.execute(insert(decisions), rows)
    return done


@dataclass
class Recorded:
    """What routing an alert did to incidents (for the metrics)."""

    opened: int = 0
    resolved_after: list[float] = field(default_factory=list)  # seconds open


def _insert_events(conn: Connection, alert_id: int, events: Sequence[CameraEvent],
                   now: float) -> dict[int, int]:
    return {
        event.index: conn.execute(
            insert(camera_events)
            .values(alert_id=alert_id, idx=event.index, serial=event.serial,
                    license=event.license, status=event.status.value,
                    enriched=event.enriched, data=event.to_dict(), created_at=now)
            .returning(camera_events.c.id)).scalar_one()
        for event in events
    }


def _decision(alert_id: int, event_id: int, d: Decision, now: float) -> dict[str, Any]:
    return {"alert_id": alert_id, "camera_event_id": event_id, "route": d.route,
            "receiver": d.receiver, "outcome": d.outcome, "reason": d.reason,
            "code": None, "created_at": now}
