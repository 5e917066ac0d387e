"""The per-app bundle of simulator parts, stored in ``app.extensions``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from flask import Flask, current_app

from router.clock import Clock

from .config import SimulatorConfig
from .faults import Faults
from .ratelimit import RateLimiter
from .state import State
from .stats import Stats

EXTENSION = "visionalert_simulator"


@dataclass
class SimContext:
    config: SimulatorConfig
    clock: Clock
    state: State
    tz: tzinfo
    limiter: RateLimiter
    faults: Faults
    stats: Stats
    startup_webhooks: list[int]


def sim() -> SimContext:
    """The simulator bundle of the app handling the current request."""
    return sim_of(current_app)


def sim_of(app: Flask) -> SimContext:
    ctx = app.extensions[EXTENSION]
    assert isinstance(ctx, SimContext)
    return ctx
