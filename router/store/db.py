"""The database handle: one engine, and write/read transactions that behave alike on
SQLite and PostgreSQL.

SQLite allows one writer at a time. A deferred transaction that reads and then
writes can fail at once with SQLITE_BUSY instead of waiting, so every write
transaction starts with ``BEGIN IMMEDIATE`` and waits on ``busy_timeout``.

PostgreSQL: a small pool per process whose connections are tested before use
(``pool_pre_ping``), so after the server restarts the first use of each dead
connection is replaced instead of failing; one that dies inside a transaction
fails that transaction (the caller retries the unit of work) and SQLAlchemy
then drops the whole pool. Server-side timeouts bound every statement, lock
wait and idle transaction, so a stuck query cannot hold a claim forever.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from router.errors import StoreError

_READONLY = "router_readonly"


class Database:
    """An engine plus transaction helpers; safe to create once per process."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "NORMAL") -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        self._writer_lock: AbstractContextManager[object] = nullcontext()
        self._checkpointer: Checkpointer | None = None
        self._kept = threading.local()
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(url, sqlite_synchronous)
            if parsed.database and parsed.database != ":memory:":
                self._writer_lock = WriterLock(Path(parsed.database + ".writer-lock"))
                self._checkpointer = Checkpointer(parsed.database, self._writer_lock)
        else:
            self.engine = _postgresql_engine(url)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits on success and rolls back on error."""
        if self._checkpointer is not None:
            self._checkpointer.ensure_running()
        # The pool checkout happens before the writer lock, to keep the
        # serialised part (SQLite has one writer) as short as it can be.
        with self.engine.connect() as conn, self._writer_lock, conn.begin():
            yield conn

    @contextmanager
    def write_cursor(self) -> Iterator[Any]:
        """A DBAPI cursor in a write transaction, for the one hot path (ingest) where
        SQLAlchemy's connection and transaction wrappers cost more than the SQL."""
        if self._checkpointer is not None:
            self._checkpointer.ensure_running()
            yield from self._cursor_on(self._kept_connection())
            return
        fairy = self.engine.raw_connection()
        try:
            yield from self._cursor_on(fairy)
        finally:
            fairy.close()  # back to the pool

    def _cursor_on(self, conn: Any) -> Iterator[Any]:
        with self._writer_lock:
            cursor = conn.cursor()
            try:
                if self.dialect == "sqlite":  # autocommit mode: start it ourselves
                    cursor.execute("BEGIN IMMEDIATE")
                yield cursor
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
            finally:
                cursor.close()

    def _kept_connection(self) -> Any:
        """This thread's own SQLite connection, kept for the life of the process.

        A pool checkout and check-in (with its reset-on-return rollback) cost a
        third as much as a webhook's inserts. A file connection does not go stale
        the way a server connection can, so nothing is lost by keeping it.
        """
        kept: tuple[int, Any] | None = getattr(self._kept, "conn", None)
        if kept is None or kept[0] != os.getpid():  # none yet, or inherited across fork
            # The pool's wrapper is kept too: dropped, it would hand the connection back.
            kept = (os.getpid(), self.engine.raw_connection())
            self._kept.conn = kept
        return kept[1].dbapi_connection

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A transaction that only reads (on SQLite it takes no write lock)."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(**{_READONLY: True})
            with conn.begin():
                yield conn

    def ping(self) -> None:
        try:
            with self.read() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise StoreError(f"store unreachable: {exc.__class__.__name__}") from None

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self.engine.dispose()


# Seconds. Statements are small single-row or batch-of-20 operations; one that
# takes this long is stuck, and failing it lets the worker retry.
STATEMENT_TIMEOUT = 30
CONNECT_TIMEOUT = 5
POOL_SIZE = 5


def _postgresql_engine(url: str) -> Engine:
    ms = STATEMENT_TIMEOUT * 1000
    options = (f"-c statement_timeout={ms} -c lock_timeout={ms} "
               f"-c idle_in_transaction_session_timeout={ms * 2}")
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=POOL_SIZE,
        max_overflow=POOL_SIZE,
        pool_timeout=CONNECT_TIMEOUT * 2,
        pool_recycle=1800,
        connect_args={"connect_timeout": CONNECT_TIMEOUT, "options": options,
                      "application_name": "visionalert-router"},
    )


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


def _sqlite_engine(url: str, synchronous: str) -> Engine:
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
        readonly = conn.get_execution_options().get(_READONLY, False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine
