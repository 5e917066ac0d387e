"""SQLite specifics of the store: the engine's pragmas, the writer lock, the
checkpointer and the kept per-thread connection of the ingest path.

:class:`router.store.db.Database` stays dialect-neutral and uses these when its
URL is a SQLite file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url

# Execution option: a transaction that only reads (SQLite: BEGIN, not BEGIN IMMEDIATE).
READONLY = "router_readonly"


class KeptConnection:
    """This thread's own SQLite connection, kept for the life of the process.

    A pool checkout and check-in (with its reset-on-return rollback) cost a
    third as much as a webhook's inserts. A file connection does not go stale
    the way a server connection can, so nothing is lost by keeping it.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._kept = threading.local()

    def get(self) -> Any:
        kept: tuple[int, Any] | None = getattr(self._kept, "conn", None)
        if kept is None or kept[0] != os.getpid():  # none yet, or inherited across fork
            # The pool's wrapper is kept too: dropped, it would hand the connection back.
            kept = (os.getpid(), self._engine.raw_connection())
            self._kept.conn = kept
        return kept[1].dbapi_connection


class WriterLock:
    """Queue SQLite writers on a blocking file lock before ``BEGIN IMMEDIATE``.

    SQLite's busy handler polls with growing sleeps (1, 2, 5 ... 25 ms), so a
    writer waiting on another process's short transaction often sleeps long after
    the lock is free: that was most of the webhook p99. ``flock`` wakes a waiter the
    moment the holder releases it. The thread lock orders threads of one process,
    which share the file description (flock does not exclude them from each other).
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def __enter__(self) -> WriterLock:
        self._threads.acquire()
        try:
            fcntl.flock(self._descriptor(), fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        try:
            fcntl.flock(self._descriptor(), fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _descriptor(self) -> int:
        # A forked child (gunicorn worker) must not share its parent's description.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd


class Checkpointer:
    """Keep SQLite's WAL file bounded, and its checkpoints off the request path.

    Under ``synchronous=NORMAL`` a checkpoint is the only step that fsyncs, and
    SQLite runs it inside whichever commit crosses ``wal_autocheckpoint``: that
    request then waits for the disk, and so do the writers queued behind it. A
    thread runs the checkpoints instead, every ``EVERY`` seconds, in two passes:

    1. PASSIVE, without the writer lock: copies the bulk of the WAL into the
       database and syncs it while webhooks go on being written; repeated while
       a pass is slow, so that little is left for pass 2.
    2. Once the log holds ``RESTART_FRAMES``: PASSIVE again, under the writer
       lock, copying the few frames written meanwhile. The WAL is then fully
       copied, and the next writer starts it over from its first frame.

    Pass 2 is what keeps the WAL file bounded. SQLite restarts the WAL only
    when a writer begins while every frame is already copied, which under
    steady load never happens by itself: the file then grew by every commit
    until the autocheckpoint bound (400 MB), each new block allocated and
    zeroed by the file system. Pass 2 pauses the writers for a sync (a few ms,
    more as the database grows), so it runs only when the log has grown: every
    round, it put that pause on the request path twice a second and the
    webhook p99 rose from 10 to 20 ms over a benchmark (``tests/bench/ingest.py``).

    One process checkpoints at a time: a thread in every process tries a POSIX
    lock on ``<db>.checkpoint-lock`` and the holder does the work, so the disk
    syncs once per round and the writers pause for one pass 2, not one per
    process. POSIX locks belong to a process and are not inherited across fork;
    the kernel drops one whose holder dies, and another process's thread takes
    over at its next round.
    (Two handles on one file in one process both hold it: harmless, as SQLite
    runs one checkpoint at a time.)
    """

    EVERY = 0.5
    CATCH_UP = 3  # pass 1 at most this many times per round
    RESTART_FRAMES = 16384  # 64 MiB of 4 KiB pages: the WAL file's size, give or take a round
    QUICK = 0.002  # seconds: a pass this short leaves little for pass 2

    def __init__(self, path: str, writer_lock: AbstractContextManager[object]) -> None:
        self._path = path
        self._writer_lock = writer_lock
        self._pid = 0
        self._stop = threading.Event()
        self._guard = threading.Lock()

    def ensure_running(self) -> None:
        if self._pid == os.getpid():
            return
        with self._guard:
            if self._pid == os.getpid():
                return
            # After a fork the parent's thread is gone: start this process's own.
            self._pid = os.getpid()
            self._stop = threading.Event()
            threading.Thread(target=self._run, args=(self._stop,), daemon=True,
                             name="sqlite-checkpoint").start()

    def stop(self) -> None:
        self._stop.set()
        self._pid = 0

    def _run(self, stop: threading.Event) -> None:
        elected = os.open(self._path + ".checkpoint-lock", os.O_RDWR | os.O_CREAT, 0o600)
        conn = sqlite3.connect(self._path, timeout=5, isolation_level=None)
        try:
            leader = False
            while not stop.wait(self.EVERY):
                leader = leader or _try_lock(elected)
                if leader:
                    with contextlib.suppress(sqlite3.Error):  # busy or gone: next round
                        self.checkpoint(conn)
        finally:
            conn.close()
            os.close(elected)  # and with it the lock: another process takes over

    def checkpoint(self, conn: sqlite3.Connection) -> None:
        # Pass 1, repeated while a pass is slow: what pass 2 then copies and syncs
        # while the writers wait is only what arrived during a quick pass.
        for _ in range(self.CATCH_UP):
            started = time.perf_counter()
            busy, frames, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if busy or frames <= 0:
                return  # another connection is checkpointing, or the log is empty
            if time.perf_counter() - started < self.QUICK:
                break
        # A pass reports the frames it saw at its start, not those written while
        # it ran: the log is never fully copied without pass 2.
        if frames < self.RESTART_FRAMES:
            return
        with self._writer_lock:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()


def _try_lock(fd: int) -> bool:
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def sqlite_engine(url: str, synchronous: str) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below decide how transactions start.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA wal_autocheckpoint=100000")  # a bound; see Checkpointer
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        readonly = conn.get_execution_options().get(READONLY, False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine
