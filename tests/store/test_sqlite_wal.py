"""SQLite's write-ahead log stays short under steady writes, and one process at a time
checkpoints it (router.store.sqlite.Checkpointer).

What is observed is the WAL file itself: its header's checkpoint sequence number
goes up by one each time a writer starts the log over from its first frame.
"""

from __future__ import annotations

import sqlite3
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from router.store.db import Database
from router.store.migrate import upgrade
from router.store.sqlite import Checkpointer
from tests.support.ingest import sample_body, store_webhook


@pytest.fixture
def file_db(request: pytest.FixtureRequest, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """A migrated SQLite file; ``@pytest.mark.checkpoint_every(seconds)`` sets the
    checkpoint round before the first write starts the thread. The log starts over
    at any size here (small logs, quick tests)."""
    marker = request.node.get_closest_marker("checkpoint_every")
    monkeypatch.setattr(Checkpointer, "EVERY", marker.args[0] if marker else 0.05)
    monkeypatch.setattr(Checkpointer, "RESTART_FRAMES", 1)
    db = Database(f"sqlite:///{tmp_path / 'wal.db'}")
    upgrade(db)
    yield db
    db.dispose()


class Webhooks:
    """Unique webhooks stored through the real ingest path."""

    def __init__(self, db: Database) -> None:
        self.db, self.count = db, 0

    def write(self, n: int = 1) -> None:
        for _ in range(n):
            self.count += 1
            store_webhook(self.db, sample_body(f"wal-{self.count}"), now=1000.0 + self.count)


def wal_restarts(db: Database) -> int:
    """The WAL header's checkpoint sequence number: +1 per start-over."""
    header = Path(str(db.engine.url.database) + "-wal").read_bytes()[:32]
    return int(struct.unpack(">I", header[12:16])[0])


def wal_index(path: str) -> tuple[int, int]:
    """(frames in the log, frames of it already copied into the database), read from
    the wal-index (``-shm``) without touching the log: its header's mxFrame, and the
    checkpoint info's nBackfill that follows the header's two copies."""
    shm = Path(path + "-shm").read_bytes()[:100]
    return struct.unpack_from("=I", shm, 16)[0], struct.unpack_from("=I", shm, 96)[0]


class WritesAfterFirstPass:
    """A checkpoint connection after whose first statement (pass 1) webhooks are
    written: frames the pass did not copy, as under load, where they arrive while it
    runs. (Here the first of them finds the log fully copied and starts it over.)"""

    def __init__(self, conn: sqlite3.Connection, webhooks: Webhooks) -> None:
        self.conn, self.webhooks, self.statements = conn, webhooks, 0

    def execute(self, sql: str) -> Any:
        cursor = self.conn.execute(sql)
        self.statements += 1
        if self.statements == 1:
            self.webhooks.write(3)
        return cursor


@pytest.mark.checkpoint_every(3600.0)  # the test itself runs the checkpoint
def test_a_checkpoint_lets_the_next_writer_start_the_wal_over(file_db: Database) -> None:
    path = str(file_db.engine.url.database)
    webhooks = Webhooks(file_db)
    webhooks.write(50)
    before = wal_restarts(file_db)
    checkpointer = Checkpointer(path, file_db._writer_lock)
    conn = sqlite3.connect(path, isolation_level=None)
    interleaved = WritesAfterFirstPass(conn, webhooks)
    checkpointer.checkpoint(interleaved)  # type: ignore[arg-type]
    conn.close()
    # Pass 1 (repeated if it was slow), then pass 2 under the writer lock.
    assert interleaved.statements >= 2
    assert wal_restarts(file_db) == before + 1  # by the first write after pass 1

    webhooks.write(1)
    assert wal_restarts(file_db) == before + 2, "pass 2 left frames uncopied"
    frames, _copied = wal_index(path)
    assert frames <= 12, "only the last webhook's frames are in the log, not 54 webhooks'"


class CountingLock:
    def __init__(self) -> None:
        self.taken = 0

    def __enter__(self) -> None:
        self.taken += 1

    def __exit__(self, *_exc: object) -> None:
        pass


@pytest.mark.checkpoint_every(3600.0)  # the test itself runs the checkpoints
def test_writers_are_paused_only_once_the_log_has_grown(
        file_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(file_db.engine.url.database)
    webhooks = Webhooks(file_db)
    webhooks.write(10)
    monkeypatch.setattr(Checkpointer, "RESTART_FRAMES", 500)
    lock = CountingLock()
    checkpointer = Checkpointer(path, lock)  # type: ignore[arg-type]
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        checkpointer.checkpoint(conn)
        frames, copied = wal_index(path)
        assert (lock.taken, copied) == (0, frames), "copied without pausing the writers"
        webhooks.write(200)  # past 500 frames
        checkpointer.checkpoint(conn)
        assert lock.taken == 1
    finally:
        conn.close()


def test_under_steady_writes_the_wal_file_stops_growing(file_db: Database) -> None:
    path = str(file_db.engine.url.database)
    webhooks = Webhooks(file_db)
    webhooks.write(1)  # starts this process's checkpoint thread
    before = wal_restarts(file_db)
    deadline = time.monotonic() + 30
    while wal_restarts(file_db) < before + 3 and time.monotonic() < deadline:
        webhooks.write(20)
    assert wal_restarts(file_db) >= before + 3, "the WAL never started over"
    # Every webhook writes at least four pages (the alert, its indexes, its dedup
    # key): a log that never started over would hold all of them.
    grown_forever = webhooks.count * 4 * (4096 + 24)
    assert Path(path + "-wal").stat().st_size < grown_forever


HOLD_LOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""


def test_only_the_process_holding_the_checkpoint_lock_checkpoints(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Checkpointer, "EVERY", 0.05)
    monkeypatch.setattr(Checkpointer, "RESTART_FRAMES", 1)
    path = str(tmp_path / "wal.db")
    # Another process holds the lock before this one's checkpoint thread starts.
    other = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, path + ".checkpoint-lock"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    db = Database(f"sqlite:///{path}")
    try:
        assert other.stdout is not None and other.stdout.readline() == "held\n"
        upgrade(db)
        webhooks = Webhooks(db)
        webhooks.write(40)
        time.sleep(0.4)  # eight rounds of this process's thread
        frames, copied = wal_index(path)
        assert frames >= 40 * 4
        assert copied == 0, "this process checkpointed while another held the lock"

        assert other.stdin is not None
        other.stdin.close()  # the other process exits, and the kernel drops its lock
        other.wait(timeout=10)
        before = wal_restarts(db)
        deadline = time.monotonic() + 10
        while wal_restarts(db) == before and time.monotonic() < deadline:
            webhooks.write(1)
            time.sleep(0.02)
        assert wal_restarts(db) > before, "no process took over the checkpoints"
    finally:
        other.kill()
        other.wait(timeout=10)
        db.dispose()


def pages_in_wal(path: str) -> list[int]:
    """Page numbers of the log's current frames (stale frames carry older salts)."""
    data = Path(path + "-wal").read_bytes()
    page_size = struct.unpack_from(">I", data, 8)[0]
    salts = data[16:24]
    pages, offset = [], 32
    while offset + 24 + page_size <= len(data) and data[offset + 8:offset + 16] == salts:
        pages.append(struct.unpack_from(">I", data, offset)[0])
        offset += 24 + page_size
    return pages


@pytest.mark.checkpoint_every(3600.0)  # the test itself runs the checkpoint
def test_a_webhook_writes_three_btrees_not_five(file_db: Database) -> None:
    """The alert, its pending-index entry and its dedup key: the time indexes hold
    finished alerts only, so a webhook's insert does not write them (schema.DONE)."""
    path = str(file_db.engine.url.database)
    webhooks = Webhooks(file_db)
    webhooks.write(300)  # trees of some depth
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        Checkpointer(path, file_db._writer_lock).checkpoint(conn)
        before = wal_restarts(file_db)
        webhooks.write(1)
        assert wal_restarts(file_db) == before + 1  # the log holds this webhook only
        owners = dict(conn.execute("SELECT pageno, name FROM dbstat"))
    finally:
        conn.close()
    written = {owners[page] for page in pages_in_wal(path)}
    # Page 1 (the schema's root) holds the file's page count, which grows.
    assert written - {"sqlite_schema"} == {"alerts", "ix_alerts_pending", "dedup"}
