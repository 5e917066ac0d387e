"""A target's rate-limit window: fixed, opened by the first send after the last one closed."""

from __future__ import annotations

from dataclasses import dataclass


# Hand-written, not a rate-limit library: the window is a store row every replica shares.
@dataclass(frozen=True)
class Window:
    start: float
    sent: int

    @staticmethod
    def take(window: Window | None, *, count: int, period: float, now: float
             ) -> tuple[Window, float | None]:
        """The window after trying to send at ``now``, and when it reopens if refused."""
        if window is None or now >= window.start + period:
            window = Window(now, 0)
        if window.sent < count:
            return Window(window.start, window.sent + 1), None
        return window, window.start + period
