"""Process model: gunicorn for the web role, a loop for the worker role, and a small
supervisor that runs both for ``serve`` (the default, one-container deployment).

The supervisor restarts a child that dies, forwards SIGTERM/SIGINT/SIGHUP, and
exits when both children have stopped. Migrations run once, before any child.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from router import logs
from router.pipeline.worker import Worker
from router.runtime import Runtime
from router.settings import Settings

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
        self.cfg.set("worker_class", "sync")
        self.cfg.set("timeout", s.web_timeout)
        self.cfg.set("graceful_timeout", 20)
        self.cfg.set("keepalive", 5)
        self.cfg.set("accesslog", None)
        self.cfg.set("loglevel", "warning")
        self.cfg.set("proc_name", "visionalert-router-web")

    def load(self) -> Flask:
        from router.app import create_app

        logs.configure(self.settings.log_format, self.settings.log_level)
        return create_app(self.settings)


def run_web(settings: Settings) -> None:
    WebServer(settings).run()


def run_worker(settings: Settings) -> None:
    runtime = Runtime.create(settings)
    stop = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        log.info("worker stopping", extra={"signal": signal.Signals(signum).name})
        stop.set()

    def _reload(_signum: int, _frame: Any) -> None:
        runtime.rules.load()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGHUP, _reload)
    Worker(runtime).run(stop)


def supervise(settings: Settings, env_overrides: dict[str, str]) -> int:
    """Run ``serve --role web`` and ``serve --role worker`` as children until told to stop."""
    env = {**os.environ, **env_overrides}
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
            time.sleep(min(2 ** rapid_exits[role], 10))
            start(role)
    _wait_all(children, settings)
    return 0


def _wait_all(children: dict[str, subprocess.Popen[bytes]], settings: Settings) -> None:
    deadline = time.monotonic() + 25
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
