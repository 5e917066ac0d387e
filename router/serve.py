"""Process model: gunicorn for the web role, a loop for the worker role, and a small
supervisor that runs both for ``serve`` (the default, one-container deployment).

The supervisor restarts a child that dies, forwards SIGTERM/SIGINT/SIGHUP, and
exits when both children have stopped. Migrations run once, before any child.
It also owns the Prometheus multiprocess folder: created (or emptied) before
the children start, so every process's samples add up on ``/metrics``.

Graceful shutdown (SIGTERM, e.g. from Kubernetes): the worker stops claiming,
lets sends in flight finish for up to ``ROUTER_SHUTDOWN_GRACE`` seconds, then
hands back whatever it still holds (so another replica, or this one after a
restart, takes it at once instead of after the lease) and exits; gunicorn stops
accepting and drains requests in flight within the same grace.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from flask import Flask
from gunicorn import glogging
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.workers.sync import SyncWorker

from router.obs import logs, metrics
from router.pipeline.runtime import Runtime
from router.pipeline.worker import Worker
from router.rules.reload import RulesWatcher
from router.settings import Settings
from router.store import deliveries as delivery_store
from router.store import inbox as inbox_store
from router.upstream.poller import start_poller
from router.upstream.tracker import start_tracker

log = logging.getLogger(__name__)

RAPID_EXIT_SECONDS = 5.0
MAX_RAPID_EXITS = 5


class WebServer(BaseApplication):  # type: ignore[misc]
    """Gunicorn, configured from Settings instead of a config file."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        host = f"[{s.host}]" if ":" in s.host else s.host
        self.cfg.set("bind", f"{host}:{s.port}")
        self.cfg.set("workers", s.web_workers)
        self.cfg.set("worker_class", _RouterWorker)
        self.cfg.set("timeout", s.web_timeout)
        self.cfg.set("graceful_timeout", max(1, round(s.shutdown_grace)))
        self.cfg.set("keepalive", s.web_keepalive)
        self.cfg.set("accesslog", None)  # router.web.requestlog logs each request
        self.cfg.set("loglevel", "warning")
        self.cfg.set("logger_class", _GunicornLogger)
        self.cfg.set("child_exit", _child_exit)
        self.cfg.set("post_worker_init", _watch_rules_in_worker)
        self.cfg.set("proc_name", "visionalert-router-web")

    def run(self) -> None:
        try:
            _RulesArbiter(self).run()
        except RuntimeError as e:
            print(f"\nError: {e}\n", file=sys.stderr, flush=True)
            sys.exit(1)

    def load(self) -> Flask:
        from router.app import create_app

        logs.configure_for(self.settings)
        app = create_app(self.settings)
        # Everything loaded so far lives as long as the worker: keep it out of the
        # cyclic GC, whose full passes over it were the webhook's worst latencies.
        gc.collect()
        gc.freeze()
        return app


class _GunicornLogger(glogging.Logger):  # type: ignore[misc]
    """gunicorn's own messages through the router's handler (JSON in containers)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        self.error_log.handlers[:] = []
        self.error_log.propagate = True


def _child_exit(_server: Any, worker: Any) -> None:
    metrics.mark_dead(worker.pid)


class _RulesArbiter(Arbiter):  # type: ignore[misc]
    """SIGHUP reloads the rules in each web worker instead of replacing the workers:
    gunicorn's own HUP would start workers that fail on an invalid rules file."""

    def handle_hup(self) -> None:
        for pid in list(self.WORKERS):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGHUP)


class _RouterWorker(SyncWorker):  # type: ignore[misc]
    """gunicorn's sync worker, except that a SIGHUP arriving while the app is still
    loading is remembered instead of killing the worker (SIGHUP's default action),
    and acted on as soon as the rules watcher runs (``_watch_rules_in_worker``)."""

    hup_pending = False

    def init_signals(self) -> None:
        super().init_signals()
        signal.signal(signal.SIGHUP, self._early_hup)

    def _early_hup(self, _signum: int, _frame: Any) -> None:
        self.hup_pending = True


def _watch_rules_in_worker(worker: Any) -> None:
    """gunicorn hook, in each web worker: a rules watcher, and SIGHUP to reload now."""
    runtime: Runtime = worker.wsgi.extensions["router"]
    watcher = RulesWatcher(runtime.rules, runtime.settings.rules_watch_seconds).start()
    signal.signal(signal.SIGHUP, lambda _signum, _frame: watcher.trigger())
    if getattr(worker, "hup_pending", False):
        watcher.trigger()


def run_web(settings: Settings) -> None:
    # Several gunicorn workers need a shared metrics folder; `serve` passes one,
    # a lone `--role web` makes its own.
    folder = None
    if metrics.multiproc_dir() is None:
        folder, _ = metrics.prepare_multiproc_dir(None)
        os.environ[metrics.MULTIPROC_ENV] = str(folder)
    try:
        WebServer(settings).run()
    finally:
        if folder is not None:
            metrics.remove_multiproc_dir(folder)


def run_worker(settings: Settings) -> None:
    # A SIGHUP during start-up must not kill the process (its default action).
    early_hup = threading.Event()
    signal.signal(signal.SIGHUP, lambda _signum, _frame: early_hup.set())
    runtime = Runtime.create(settings)
    worker = Worker(runtime)
    stop = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        log.info("worker stopping", extra={"signal": signal.Signals(signum).name,
                                           "grace_seconds": settings.shutdown_grace})
        stop.set()

    watcher = RulesWatcher(runtime.rules, settings.rules_watch_seconds).start()

    def _reload(_signum: int, _frame: Any) -> None:
        watcher.trigger()  # the watcher thread reloads: a handler must not take locks

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGHUP, _reload)
    if early_hup.is_set():
        watcher.trigger()
    # The loop runs in a thread so that this one can enforce the grace period:
    # a send blocked on a slow target must not hold the process past it.
    loop = threading.Thread(target=worker.run, args=(stop,), name="worker-loop", daemon=True)
    loop.start()
    poller = start_poller(runtime, stop)  # None unless polling mode is on
    tracker = start_tracker(runtime, stop)  # None when off or without a token
    while loop.is_alive() and not stop.is_set():
        stop.wait(1.0)
    deadline = time.monotonic() + settings.shutdown_grace
    loop.join(timeout=settings.shutdown_grace)
    for job in (poller, tracker):
        if job is not None:
            # Lets it hand its lease back, without stretching the grace period.
            job.join(timeout=max(0.0, min(5.0, deadline - time.monotonic())))
    if loop.is_alive():
        _hand_back(worker, settings.shutdown_grace)


def _hand_back(worker: Worker, grace: float) -> None:
    """Grace expired: release every claim still held and leave without waiting for sends."""
    try:
        entries = inbox_store.release_owned(worker.rt.db, owner=worker.owner)
        sends = delivery_store.release_owned(worker.rt.db, owner=worker.owner)
        log.warning("shutdown grace expired; handed back unfinished work", extra={
            "grace_seconds": grace, "inbox_entries": entries, "deliveries": sends})
    except Exception:
        # The store is unreachable: the leases expire by themselves.
        log.exception("shutdown grace expired; could not hand back work")
    logging.shutdown()
    # The send threads are blocked in network calls and would keep the
    # interpreter alive; their results are fenced off by the released leases.
    os._exit(0)


def supervise(settings: Settings, env_overrides: dict[str, str]) -> int:
    """Run ``serve --role web`` and ``serve --role worker`` as children until told to stop."""
    folder, temporary = metrics.prepare_multiproc_dir(os.environ.get(metrics.MULTIPROC_ENV))
    os.environ[metrics.MULTIPROC_ENV] = str(folder)  # children inherit it; mark_dead reads it
    env = {**os.environ, **env_overrides}
    try:
        return _supervise(settings, env)
    finally:
        if temporary:
            metrics.remove_multiproc_dir(folder)


def _supervise(settings: Settings, env: dict[str, str]) -> int:
    commands = {
        role: [sys.executable, "-m", "router", "serve", "--role", role, "--no-migrate"]
        for role in ("web", "worker")
    }
    children: dict[str, subprocess.Popen[bytes]] = {}
    started: dict[str, float] = {}
    rapid_exits = dict.fromkeys(commands, 0)
    stopping = threading.Event()

    def start(role: str) -> None:
        children[role] = subprocess.Popen(commands[role], env=env)
        started[role] = time.monotonic()

    def forward(signum: int, _frame: Any) -> None:
        if signum in (signal.SIGTERM, signal.SIGINT):
            stopping.set()
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    for role in commands:
        start(role)
    log.info("router serving", extra={"url": f"http://{settings.host}:{settings.port}"})
    while not stopping.is_set():
        stopping.wait(0.5)
        for role, child in list(children.items()):
            if stopping.is_set() or child.poll() is None:
                continue
            rapid = time.monotonic() - started[role] < RAPID_EXIT_SECONDS
            rapid_exits[role] = rapid_exits[role] + 1 if rapid else 0
            if rapid_exits[role] >= MAX_RAPID_EXITS:
                log.error("child keeps exiting; giving up", extra={"role": role})
                forward(signal.SIGTERM, None)
                _wait_all(children, settings)
                return 1
            log.warning("child exited; restarting",
                        extra={"role": role, "code": child.returncode})
            metrics.mark_dead(child.pid)
            time.sleep(min(2 ** rapid_exits[role], 10))
            start(role)
    _wait_all(children, settings)
    return 0


def _wait_all(children: dict[str, subprocess.Popen[bytes]], settings: Settings) -> None:
    # The children enforce the grace themselves; this is the backstop.
    deadline = time.monotonic() + settings.shutdown_grace + 5
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
