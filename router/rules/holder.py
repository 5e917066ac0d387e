"""The rules in force in one process, replaced whole on reload."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from router.errors import RulesError
from router.rules.loader import load_rules
from router.rules.models import Rules

log = logging.getLogger(__name__)


@dataclass
class RulesHolder:
    """The rules in force. Replaced whole, so a reader sees old or new, never a mix."""

    path: str
    current: Rules | None = None
    error: str | None = None
    # Reload status, for /metrics (router_config_last_reload_*) and /-/reload.
    last_reload_successful: bool = False
    last_success_time: float = 0.0
    last_error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def load(self) -> bool:
        """(Re)load from disk; on error keep the previous rules and remember why."""
        try:
            rules = load_rules(self.path)
        except RulesError as exc:
            with self._lock:
                self.error = self.last_error = str(exc)
                self.last_reload_successful = False
            log.error("rules not loaded", extra={
                "path": self.path, "error": str(exc),
                "kept": self.current.digest[:12] if self.current else None})
            return False
        with self._lock:
            previous = self.current
            self.current, self.error = rules, None
            self.last_reload_successful, self.last_error = True, None
            self.last_success_time = time.time()
        if previous is None or previous.digest != rules.digest:
            log.info("rules loaded", extra={"path": self.path, "digest": rules.digest[:12]})
        return True

    def get(self) -> Rules:
        rules = self.current
        if rules is None:
            raise RuntimeError(f"no valid rules loaded from {self.path}: {self.error}")
        return rules
