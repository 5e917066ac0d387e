"""The order of the flush checks: duplicate, hold-down, silence, inhibition, then the
notification log (first / changed / repeat). Each row is an item that more than one
check would mute; the first check in that order names the reason."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from router.model import CameraEvent, Status
from router.model.cameras import KnownCamera
from router.model.groups import GroupItem, ItemKind
from router.model.reasons import Reason
from router.model.sent import Sent
from router.model.timing import Timing
from router.pipeline.flush import MUTE_CHECKS, FlushInput, plan_flush
from router.pipeline.flush.inhibit import Inhibition
from router.pipeline.flush.silence import Silence
from router.rules.inhibit import compile_inhibit_rules, parse_match
from router.rules.models import InhibitRuleSpec

NOW = 10_000.0
TIMING = Timing(repeat_interval=3600.0, hold_for=60.0)


def _event(serial: str, status: Status = Status.OFFLINE) -> CameraEvent:
    return CameraEvent(1, 0, "L", serial, f"Cam-{serial}", ("site-a",), status, status.value)


def _item(serial: str = "S1", *, id: int = 1, kind: ItemKind = "firing", held: bool = False,
          condition: str = "offline") -> GroupItem:
    return GroupItem(receiver="r", route="default", key="k", event=_event(serial),
                     condition=condition, timing=TIMING, kind=kind, held=held,
                     created_at=NOW - 30, id=id)


def _silence() -> Silence:
    _, matchers = parse_match({"camera": ["S1"]})
    return Silence(7, matchers, NOW - 100, NOW + 100, "ops", "maintenance")


def _inhibition() -> Inhibition:
    """S9 offline on the same license mutes every other offline camera there."""
    rules = compile_inhibit_rules([InhibitRuleSpec.model_validate(
        {"name": "license-down", "source": {"status": ["offline"]},
         "target": {"status": ["offline"]}, "equal": ["license"]})])
    return Inhibition(rules, [KnownCamera("L", "S9", (), (_event("S9"),))], {})


@dataclass(frozen=True)
class Case:
    name: str
    items: tuple[GroupItem, ...]
    reasons: tuple[Reason, ...]
    recovered: bool = False  # S1 seen normal after the held item arrived
    silenced: bool = False
    inhibited: bool = False
    sent: dict[str, Sent] = field(default_factory=dict)  # serial -> log entry


FIRING = Sent("offline", "firing", NOW - 60)  # sent a minute ago, same condition

CASES = [
    Case("first notification", (_item(),), (Reason.FIRST,)),
    Case("duplicate before everything: the older item of a camera",
         (_item(id=1, held=True), _item(id=2)), (Reason.DUPLICATE, Reason.SILENCED),
         recovered=True, silenced=True, inhibited=True),
    Case("hold-down before silence", (_item(held=True),), (Reason.HELD_DOWN,),
         recovered=True, silenced=True, inhibited=True),
    Case("a held item whose camera did not recover goes on", (_item(held=True),),
         (Reason.FIRST,)),
    Case("silence before inhibition", (_item(),), (Reason.SILENCED,),
         silenced=True, inhibited=True, sent={"S1": FIRING}),
    Case("inhibition before the repeat interval", (_item(),), (Reason.INHIBITED,),
         inhibited=True, sent={"S1": FIRING}),
    Case("repeat interval last", (_item(),), (Reason.REPEAT_SUPPRESSED,),
         sent={"S1": FIRING}),
    Case("repeat interval elapsed", (_item(),), (Reason.REPEAT_ELAPSED,),
         sent={"S1": Sent("offline", "firing", NOW - 3600)}),
    Case("changed condition", (_item(condition="anomaly:Blur"),), (Reason.CHANGED,),
         sent={"S1": FIRING}),
    Case("a resolution is told to whoever heard of the problem",
         (_item(kind="resolved"),), (Reason.RESOLVED,),
         recovered=True, silenced=True, inhibited=True, sent={"S1": FIRING}),
    Case("a resolution nobody was told of is not sent", (_item(kind="resolved"),),
         (Reason.NOT_NOTIFIED,)),
    Case("resolutions are de-duplicated too",
         (_item(id=1, kind="resolved"), _item(id=2, kind="resolved")),
         (Reason.DUPLICATE, Reason.RESOLVED), sent={"S1": FIRING}),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_first_check_that_mutes_names_the_reason(case: Case) -> None:
    given = FlushInput(
        now=NOW, route="default", timing=TIMING,
        log={("L", serial): sent for serial, sent in case.sent.items()},
        last_normal={("L", "S1"): NOW - 10} if case.recovered else {},
        silences=(_silence(),) if case.silenced else (),
        inhibition=_inhibition() if case.inhibited else None, sites={})
    assert tuple(v.reason for v in plan_flush(case.items, given)) == case.reasons


def test_the_mute_checks_run_in_the_documented_order() -> None:
    assert [c.__name__ for c in MUTE_CHECKS] == ["duplicate", "held_down", "silenced",
                                                 "inhibited"]


def test_each_verdict_says_which_silence_or_rule_muted_it() -> None:
    given = FlushInput(now=NOW, route="default", timing=TIMING, log={}, last_normal={},
                       silences=(_silence(),), inhibition=_inhibition(), sites={})
    silenced, inhibited = plan_flush((_item("S1"), _item("S2", id=2)), given)
    assert silenced.text == "silenced (silence 7 by ops: maintenance)"
    assert inhibited.text == "inhibited (inhibit rule license-down)"
