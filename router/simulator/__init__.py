"""A faithful local VisionAlert: the REST API, its media, and a webhook sender.

Start it with ``visionalert-router simulator`` or, from Python,
``SimulatorServer(SimulatorConfig(rate_limit=0)).start()``; tests can also use
``create_app(...).test_client()``.
"""

from .app import create_app
from .clock import Clock, FakeClock, SystemClock
from .config import SimulatorConfig
from .faults import FaultConfig
from .scenario import ScenarioError
from .server import SimulatorServer

__all__ = [
    "Clock",
    "FakeClock",
    "FaultConfig",
    "ScenarioError",
    "SimulatorConfig",
    "SimulatorServer",
    "SystemClock",
    "create_app",
]
