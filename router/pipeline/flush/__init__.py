"""The flush stage: a due group's items -> verdicts (the mute checks in order, then
the notification log) -> what goes into the group's message."""

from router.pipeline.flush.decide import MUTE_CHECKS, FlushInput, plan_flush
from router.pipeline.flush.load import load

__all__ = ["MUTE_CHECKS", "FlushInput", "load", "plan_flush"]
