"""What a running process holds: settings, the store, the current rules, the clock.

Built once per process by the application factory or the worker; stages get the
parts they need from it, never from globals.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

from router.clock import Clock, SystemClock
from router.rules.holder import RulesHolder
from router.settings import Settings
from router.store.db import Database
from router.upstream import Upstream, build_upstream


@dataclass
class Runtime:
    settings: Settings
    db: Database
    rules: RulesHolder
    clock: Clock = field(default_factory=SystemClock)
    _upstream: Upstream | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def upstream(self) -> Upstream:
        """The VisionAlert API for this process, built on first use (worker and poller share it)."""
        with self._lock:
            if self._upstream is None:
                self.upstream = build_upstream(self.settings, self.db, self.clock)
            assert self._upstream is not None
            return self._upstream

    @upstream.setter
    def upstream(self, upstream: Upstream) -> None:
        old, self._upstream = self._upstream, upstream
        if old is not None and old is not upstream:
            old.close()
        weakref.finalize(self, upstream.close)

    @classmethod
    def create(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
        holder = RulesHolder(str(settings.rules_file))
        holder.load()
        return cls(settings=settings, db=db, rules=holder, clock=clock or SystemClock())
