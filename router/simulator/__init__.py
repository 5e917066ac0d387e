"""A faithful local VisionAlert: the REST API, its media, and a webhook sender.

Start it with ``visionalert-router simulator`` or, from Python,
``SimulatorServer(SimulatorConfig(rate_limit=0)).start()``; tests can also use
``create_app(...).test_client()``.

Endpoints (API under ``/v1/vision-alert/``, token auth, rate limited):
``GET licenses/``, ``GET {id}/cameras/``, ``GET {id}/cameras/{serial}/logs/``,
``GET {id}/logs/``, ``DELETE {id}/cameras/{serial}/``, ``GET|POST
{id}/cameras/{serial}/reference/``, ``GET {id}/alerts/``, ``POST create-log/``.
Media: ``GET /media/camera_snapshot/...``, ``GET /media/camera_reference/...``.
Controls (no auth): ``GET /_sim/stats``, ``POST /_sim/reset-stats``,
``GET|PUT|POST|DELETE /_sim/faults``, ``GET|PUT /_sim/rate-limit``,
``POST /_sim/alerts``, ``POST /_sim/alerts/{id}/webhook``, ``POST /_sim/logs``.
"""

from router.clock import Clock, ManualClock, SystemClock
from router.errors import ScenarioError

from .app import create_app
from .config import SimulatorConfig
from .faults import FaultConfig
from .server import SimulatorServer

__all__ = [
    "Clock",
    "FaultConfig",
    "ManualClock",
    "ScenarioError",
    "SimulatorConfig",
    "SimulatorServer",
    "SystemClock",
    "create_app",
]
