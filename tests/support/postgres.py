"""The machine's PostgreSQL server (127.0.0.1:5432, trust auth) for tests.

One database per test session, created and dropped here; each test that uses
it starts from an empty ``public`` schema. ``ROUTER_TEST_PG`` overrides the
server URL (``postgresql+psycopg://USER@HOST:PORT``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import psycopg
from psycopg import sql

SERVER = os.environ.get("ROUTER_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


def _dsn(database: str) -> str:
    return SERVER.replace("postgresql+psycopg://", "postgresql://") + f"/{database}"


def url(database: str) -> str:
    return f"{SERVER}/{database}"


def available() -> str | None:
    """None if the server answers, else why not."""
    try:
        with psycopg.connect(_dsn("postgres"), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL not reachable at {SERVER}: {exc}".strip()


_DROP = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")


def create_database(name: str) -> None:
    with psycopg.connect(_dsn("postgres"), autocommit=True) as conn:
        conn.execute(_DROP.format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(name: str) -> None:
    with psycopg.connect(_dsn("postgres"), autocommit=True) as conn:
        conn.execute(_DROP.format(sql.Identifier(name)))


def reset_schema(name: str) -> None:
    """An empty ``public`` schema; connections left by earlier tests are cut first."""
    with psycopg.connect(_dsn(name), autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


# -- server control (restart test) ----------------------------------------------------


def _cluster() -> list[str]:
    ctl = shutil.which("pg_ctlcluster")
    versions = sorted(p.name for p in Path("/etc/postgresql").glob("*")) if ctl else []
    if not ctl or not versions:
        raise RuntimeError("pg_ctlcluster and /etc/postgresql are needed to restart the server")
    return [ctl, "--skip-systemctl-redirect", versions[-1], "main"]


def can_control() -> bool:
    try:
        _cluster()
    except RuntimeError:
        return False
    return True


def control(action: str) -> None:
    """``start``, ``stop`` or ``restart`` the local cluster."""
    subprocess.run([*_cluster(), action], check=True, capture_output=True, timeout=60)


def ensure_running(timeout: float = 60.0) -> None:
    """Start the server if it is down, and wait until it answers."""
    if available() is not None:
        subprocess.run([*_cluster(), "start"], check=False, capture_output=True, timeout=60)
    deadline = time.monotonic() + timeout
    while (why := available()) is not None:
        if time.monotonic() > deadline:
            raise RuntimeError(why)
        time.sleep(0.2)
