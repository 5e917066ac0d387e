"""Timing options of routes (Alertmanager's names): what rules.yaml may say about them.

Durations are written ``30s``, ``5m``, ``4h``, ``1d``, combined (``1h30m``) or as
a number of seconds. ``defaults:`` and every route accept the same keys; a
route's options are its parent's (or the defaults) with its own keys laid over.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from pydantic import BeforeValidator, StrictBool, WithJsonSchema
from pydantic_core import PydanticCustomError

from router import clock
from router.clock import DURATION_PATTERN
from router.errors import TimeInputError
from router.rules.base import StrictModel, yaml_kind
from router.rules.timewin import Timezone

GROUP_FIELDS = ("license", "tag", "site", "status", "anomaly", "camera")


def parse_duration(value: Any) -> float:
    """A rules.yaml duration, with the YAML type named when it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PydanticCustomError(
            "duration_type", f"expected a duration like 30s, 5m, 4h, 1d, got {yaml_kind(value)}")
    try:
        return clock.parse_duration(value)
    except TimeInputError as exc:
        raise PydanticCustomError("duration", "{problem}", {"problem": str(exc)}) from None


def _group_field(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("group_type", f"expected a field name, got {yaml_kind(value)}")
    if value in GROUP_FIELDS:
        return value
    close = difflib.get_close_matches(value, GROUP_FIELDS, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise PydanticCustomError(
        "group_field", "unknown group_by field {value} (" + hint + "known: "
        + ", ".join(GROUP_FIELDS) + ")", {"value": repr(value)})


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0},
                              {"type": "string", "pattern": DURATION_PATTERN}],
                    "description": "30s, 5m, 4h, 1d, 1h30m, or a number of seconds"}),
]
GroupField = Annotated[str, BeforeValidator(_group_field),
                       WithJsonSchema({"enum": list(GROUP_FIELDS)})]


class OptionsSpec(StrictModel):
    """Keys shared by ``defaults:`` and every route; unset keys are inherited."""

    group_by: tuple[GroupField, ...] | None = None
    group_wait: Duration | None = None
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None
    send_resolved: StrictBool | None = None
    send_acknowledged: StrictBool | None = None
    hold_for: Duration | None = None
    timezone: Timezone | None = None

    def given(self) -> dict[str, Any]:
        """The timing keys written here (``template`` is resolved separately)."""
        keys = ("group_by", "group_wait", "group_interval", "repeat_interval",
                "send_resolved", "send_acknowledged", "hold_for", "timezone")
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}
