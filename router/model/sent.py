"""The notification log's entry for one (receiver, camera): what was last sent, and when."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LogState = Literal["firing", "resolving", "resolved"]


@dataclass(frozen=True)
class Sent:
    condition: str
    state: LogState
    last_sent_at: float
