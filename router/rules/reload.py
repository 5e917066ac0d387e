"""Hot reload of the rules: a watcher thread per process that holds rules.

It polls the rules file (and every template or ``urls_file`` the rules read)
every ``interval`` seconds and reloads when one changed: ``os.stat`` of the
*resolved* path (so a Kubernetes ConfigMap's ``..data`` symlink swap is seen,
as the target changes while the name does not), then the sha256 of the bytes
(so a touch without a change reloads nothing). ``trigger()`` asks for a reload
now: SIGHUP handlers call it, since a signal handler must not take locks.

An invalid file never replaces the rules in force: ``RulesHolder.load`` keeps
the old rules and records the failure (see runtime.py).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

from router.rules.holder import RulesHolder

log = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, int, int, int, int], ...]


def _stat(path: Path) -> tuple[str, int, int, int, int]:
    resolved = os.path.realpath(path)
    try:
        st = os.stat(resolved)
    except OSError:
        return (resolved, -1, -1, -1, -1)
    return (resolved, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _digest(paths: list[Path]) -> str:
    sha = hashlib.sha256()
    for path in paths:
        try:
            sha.update(path.read_bytes())
        except OSError:
            sha.update(b"\0unreadable\0")
        sha.update(b"\0")
    return sha.hexdigest()


class RulesWatcher:
    """Polls the rules' files every ``interval`` seconds (0: never) and reloads the
    holder when their content changes, or at once when triggered."""

    def __init__(self, holder: RulesHolder, interval: float) -> None:
        self.holder = holder
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fingerprint: Fingerprint = ()
        self._digest = ""
        self._remember()
        if not self._holds_what_is_on_disk():
            # The file changed between the holder's load and this watcher's start:
            # forget the baseline so that the first poll reloads.
            self._fingerprint, self._digest = (), ""

    def _paths(self) -> list[Path]:
        rules = self.holder.current
        files = list(rules.files) if rules is not None else []
        main = Path(self.holder.path)
        return [main, *(f for f in files if f != main)]

    def _remember(self) -> None:
        paths = self._paths()
        self._fingerprint = tuple(_stat(p) for p in paths)
        self._digest = _digest(paths)

    def _holds_what_is_on_disk(self) -> bool:
        rules = self.holder.current
        if rules is None:
            return True  # nothing loaded yet: nothing to compare, the poll decides
        try:
            return hashlib.sha256(Path(self.holder.path).read_bytes()).hexdigest() == rules.digest
        except OSError:
            return True

    def poll(self) -> bool:
        """Check once; reload if a file's content changed. True when rules were replaced."""
        paths = self._paths()
        fingerprint = tuple(_stat(p) for p in paths)
        if fingerprint == self._fingerprint:
            return False
        self._fingerprint = fingerprint
        digest = _digest(paths)
        if digest == self._digest:
            return False
        self._digest = digest
        return self.reload("file changed")

    def reload(self, why: str) -> bool:
        before = self.holder.current
        ok = self.holder.load()
        log.info("rules reload", extra={"reason": why, "ok": ok})
        # A reload may add or drop template files: watch the new set.
        self._remember()
        return ok and self.holder.current is not before

    def trigger(self) -> None:
        """Ask the watcher thread to reload now (safe from a signal handler)."""
        self._wake.set()

    def start(self) -> RulesWatcher:
        self._thread = threading.Thread(target=self._run, name="rules-watcher", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            # interval 0: no polling, reload only when triggered.
            woken = self._wake.wait(self.interval or None)
            if self._stop.is_set():
                return
            self._wake.clear()
            try:
                if woken:
                    self.reload("signal")
                else:
                    self.poll()
            except Exception:
                # The watcher must outlive any surprise; the old rules stay in force.
                log.exception("rules watcher failed; will retry")
