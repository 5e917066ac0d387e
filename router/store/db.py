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

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from router.errors import StoreError, StoreUnavailable
from router.store.sqlite import READONLY, Checkpointer, KeptConnection, WriterLock, sqlite_engine

# The database is down or saturated: connection refused or lost, pool exhausted,
# "database is locked" past busy_timeout. Raised to callers as StoreUnavailable.
_DRIVER_OUTAGES: tuple[type[Exception], ...] = (OperationalError, PoolTimeout,
                                                sqlite3.OperationalError)
try:  # the ingest cursor is psycopg's own: its errors are not wrapped by SQLAlchemy
    import psycopg

    _DRIVER_OUTAGES += (psycopg.OperationalError,)
except ImportError:  # SQLite-only install (no postgres extra)
    pass


@contextmanager
def _outages() -> Iterator[None]:
    """Driver outage errors become :class:`StoreUnavailable` (the web layer maps that one)."""
    try:
        yield
    except _DRIVER_OUTAGES as exc:
        raise StoreUnavailable(f"store unavailable: {exc.__class__.__name__}: {exc}") from exc


class Database:
    """An engine plus transaction helpers; safe to create once per process."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "NORMAL") -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        self._writer_lock: AbstractContextManager[object] = nullcontext()
        self._checkpointer: Checkpointer | None = None
        self._kept: KeptConnection | None = None
        if self.dialect == "sqlite":
            self.engine = sqlite_engine(url, sqlite_synchronous)
            if parsed.database and parsed.database != ":memory:":
                self._writer_lock = WriterLock(Path(parsed.database + ".writer-lock"))
                self._checkpointer = Checkpointer(parsed.database, self._writer_lock)
                self._kept = KeptConnection(self.engine)
        else:
            self.engine = _postgresql_engine(url)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits on success and rolls back on error."""
        if self._checkpointer is not None:
            self._checkpointer.ensure_running()
        # The pool checkout happens before the writer lock, to keep the
        # serialised part (SQLite has one writer) as short as it can be.
        with _outages(), self.engine.connect() as conn, self._writer_lock, conn.begin():
            yield conn

    @contextmanager
    def write_cursor(self) -> Iterator[Any]:
        """A DBAPI cursor in a write transaction, for the one hot path (ingest) where
        SQLAlchemy's connection and transaction wrappers cost more than the SQL."""
        with _outages():
            if self._checkpointer is not None:
                self._checkpointer.ensure_running()
            if self._kept is not None:
                yield from self._cursor_on(self._kept.get())
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

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A transaction that only reads (on SQLite it takes no write lock)."""
        with _outages(), self.engine.connect() as conn:
            conn = conn.execution_options(**{READONLY: True})
            with conn.begin():
                yield conn

    def ping(self) -> None:
        try:
            with self.read() as conn:
                conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, StoreUnavailable) as exc:
            cause = exc.__cause__ if isinstance(exc, StoreUnavailable) and exc.__cause__ else exc
            raise StoreError(f"store unreachable: {cause.__class__.__name__}") from None

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


