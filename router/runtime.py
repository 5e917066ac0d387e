"""What a running process holds: settings, the store, the current rules, the clock.

Built once per process by the application factory or the worker; stages get the
parts they need from it, never from globals.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from router.clock import Clock, SystemClock
from router.errors import RulesError
from router.rules import Rules, load_rules
from router.settings import Settings
from router.store.db import Database

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


@dataclass
class Runtime:
    settings: Settings
    db: Database
    rules: RulesHolder
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def create(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
        holder = RulesHolder(str(settings.rules_file))
        holder.load()
        return cls(settings=settings, db=db, rules=holder, clock=clock or SystemClock())
