"""A group's timing (Alertmanager's names) and when such a group flushes next."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter


@dataclass(frozen=True)
class Timing:
    """The options a group is flushed with (JSON on the group row)."""

    group_wait: float = 30.0
    group_interval: float = 300.0
    repeat_interval: float = 4 * 3600.0
    send_resolved: bool = False
    hold_for: float = 0.0
    send_acknowledged: bool = False

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Timing:
        """From the group row's JSON; keys it does not know (older rows) are ignored."""
        return _TIMING.validate_python(dict(d))

    def to_dict(self) -> dict[str, Any]:
        return _TIMING.dump_python(self)  # type: ignore[no-any-return]

    def flush_at(self, now: float, *, last_flush_at: float | None, due_at: float) -> float:
        """When a group should flush after an item due at ``due_at`` joined it.

        A new group (or one idle for longer than ``group_interval``) waits
        ``group_wait`` to collect more events; a group that flushed recently
        goes out again ``group_interval`` after its last flush.
        """
        if last_flush_at is None or now >= last_flush_at + self.group_interval:
            base = now + self.group_wait
        else:
            base = last_flush_at + self.group_interval
        return max(base, due_at)

    def next_after_flush(self, now: float, pending_due: float | None) -> float | None:
        """The next flush of a group that still holds items (earliest due at ``pending_due``)."""
        if pending_due is None:
            return None
        return max(pending_due, now + self.group_interval)


_TIMING: TypeAdapter[Timing] = TypeAdapter(Timing)
