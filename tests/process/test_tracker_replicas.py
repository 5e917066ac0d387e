"""The camera state tracker with two `serve` processes on one store.

(a) two processes on one SQLite file, (b) two replicas on PostgreSQL. In both:
exactly one tracker holds the ``tracker`` lease and reads the license logs; a
resolution, a reminder and an acknowledgement each reach the sink exactly once;
after the lease holder is killed with SIGKILL the other process takes the lease
over once it expires (TTL max(3 x 1 s, 10 s) = 10 s) and resolves a camera whose
normal log was added after the kill.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from router.simulator import SimulatorServer
from router.store.db import Database
from router.store.schema_upstream import leases
from tests.process.test_tracker_serve import (
    BLURRED,
    LICENSE,
    OFFLINE,
    api,
    dump,
    fire,
    firing_gaps,
    incidents_of,
    kinds,
    messages,
    no_traceback,
    normal_log,
    simulator,
    start_serve,
    wait_newer_than,
    wait_until,
    write_rules,
)
from tests.support.httpsink import HttpSink
from tests.support.process import RouterProcess

pytestmark = pytest.mark.slow

REPEAT = 4.0  # seconds between reminders
TTL = 10.0  # the tracker lease: max(3 * ROUTER_STATE_INTERVAL, 10 s)
LATE = "C1"  # Loading Dock: its normal log comes after the kill


def _lease(db: Database) -> tuple[str, float] | None:
    """The ``tracker`` lease row: (owner, expires_at)."""
    with db.read() as conn:
        row = conn.execute(select(leases.c.owner, leases.c.expires_at)
                           .where(leases.c.name == "tracker")).first()
    return (str(row.owner), float(row.expires_at)) if row is not None else None


def _taken_over(db: Database, owner: str) -> tuple[str, float] | None:
    """The lease row once someone other than ``owner`` holds it."""
    lease = _lease(db)
    return lease if lease is not None and lease[0] != owner else None


def _holder(owner: str, procs: list[RouterProcess]) -> RouterProcess:
    """The `serve` process whose worker (``host:pid:tracker``) holds the lease."""
    pid = int(owner.split(":")[-2])
    group = os.getpgid(pid)  # each RouterProcess leads its own session / process group
    [proc] = [p for p in procs if p.proc is not None and p.proc.pid == group]
    return proc


def _log_reads(proc: RouterProcess) -> int:
    """The license-log listings this process made (only the tracker lists logs)."""
    return sum(1 for e in proc.events() if e.get("msg") == "VisionAlert API call"
               and str(e.get("endpoint", "")).endswith("/logs/"))


def _alive(*procs: RouterProcess) -> None:
    for p in procs:
        assert p.proc is not None
        if p.proc.poll() is not None:
            raise AssertionError(f"router exited with {p.proc.returncode}:\n{p.output[-4000:]}")


def _one_tracker_end_to_end(tmp_path: Path, database_url: str) -> None:
    with simulator() as sim, HttpSink() as sink:
        rules = write_rules(tmp_path / "rules.yaml", sink, repeat=f"{REPEAT:g}s",
                            acknowledged=True)
        procs: list[RouterProcess] = []
        urls: list[str] = []
        db = Database(database_url)
        try:
            for name in ("a", "b"):
                proc, url = start_serve(tmp_path, name, sim, database_url, rules)
                procs.append(proc)
                urls.append(url)
            _scenario(sim, sink, db, procs, urls)
        finally:
            db.dispose()
            codes = [p.stop() for p in procs if p.proc is not None and p.proc.poll() is None]
        assert all(c == 0 for c in codes), codes
        no_traceback(*procs)


def _scenario(sim: SimulatorServer, sink: HttpSink, db: Database, procs: list[RouterProcess],
              urls: list[str]) -> None:
    a_url, b_url = urls
    owner, _ = wait_until(lambda: _lease(db), 30, "the tracker lease",
                          lambda: _alive(*procs))

    def alive() -> None:
        """Both processes run, and the lease stays where it is (checked at every poll)."""
        _alive(*procs)
        lease = _lease(db)
        assert lease is not None and lease[0] == owner, (lease, owner)

    # -- one lease holder, one process reading the logs ------------------------------
    holder = _holder(owner, procs)
    other = next(p for p in procs if p is not holder)
    wait_until(lambda: _log_reads(holder) >= 3, 30, "three tracker rounds", alive)

    # -- a resolution, exactly once ----------------------------------------------------
    fire(sim, a_url, {"serial": OFFLINE, "status": "offline"})
    wait_until(lambda: kinds(sink, OFFLINE) == ["firing"], 60, "the offline camera's message",
               alive)
    [incident] = incidents_of(b_url, OFFLINE)
    wait_newer_than(incident["last_event_at"])
    normal_log(sim, OFFLINE)
    wait_until(lambda: "resolved" in kinds(sink, OFFLINE), 30,
               f"the resolved message; got {dump(sink)}", alive)
    [incident] = incidents_of(a_url, OFFLINE)
    assert (incident["state"], incident["resolution"]) == ("resolved", "tracker"), incident

    # -- a reminder, then an acknowledgement, each exactly once --------------------------
    fire(sim, b_url, {"serial": BLURRED, "anomalies": {"Blur": 0.88}})
    wait_until(lambda: kinds(sink, BLURRED).count("firing") >= 2, REPEAT * 3 + 60,
               f"the first reminder; got {dump(sink)}", alive)
    [incident] = incidents_of(a_url, BLURRED)
    acked = api(a_url, f"/incidents/{incident['id']}/ack", "POST", json={"by": "ops"})
    assert acked["state"] == "acknowledged" and acked["told"] == 1, acked
    wait_until(lambda: "acknowledged" in kinds(sink, BLURRED), 15, "the acknowledgement",
               alive)
    # Two repeat intervals with both processes running: no further reminder, no
    # second acknowledgement (a reminder queued just before the ack may still go).
    quiet_from = time.monotonic()
    wait_until(lambda: time.monotonic() > quiet_from + 2 * REPEAT + 1, 3 * REPEAT,
               "two repeat intervals", alive)
    seen = kinds(sink, BLURRED)
    assert seen.count("acknowledged") == 1, seen
    assert seen.count("firing") in (2, 3), seen  # the problem, one reminder (+1 in flight)
    gaps = firing_gaps(sink, BLURRED)
    assert all(g >= REPEAT - 0.5 for g in gaps), gaps  # never the same reminder twice
    assert kinds(sink, OFFLINE) == ["firing", "resolved"], dump(sink)  # still once

    # The lease never moved while both lived, and only its holder read the logs.
    alive()
    assert _log_reads(holder) >= 5 and _log_reads(other) == 0, \
        (_log_reads(holder), _log_reads(other))

    # -- kill -9 the holder: the other takes over and resolves a later recovery ---------
    fire(sim, urls[procs.index(other)], {"serial": LATE, "anomalies": {"Obstruction": 0.9}})
    wait_until(lambda: kinds(sink, LATE) == ["firing"], 60, "the third camera's message",
               alive)
    [late] = incidents_of(urls[procs.index(other)], LATE)
    wait_newer_than(late["last_event_at"])
    holder.kill()
    killed_at = time.time()
    normal_log(sim, LATE)  # after the kill: only the survivor can resolve it
    survivor = [other]
    dead = _lease(db)
    assert dead is not None and dead[0] == owner, dead  # the dead holder's last renewal
    new_owner, new_expires = wait_until(lambda: _taken_over(db, owner), TTL + 30,
                                        "the survivor to take the tracker lease",
                                        lambda: _alive(*survivor))
    assert _holder(new_owner, [other]) is other
    # Taken only once the dead holder's lease ran out (new expiry = takeover + TTL).
    assert new_expires >= dead[1] + TTL - 0.5, (dead, new_expires)
    wait_until(lambda: "resolved" in kinds(sink, LATE), 30,
               f"the late camera's resolved message; got {dump(sink)}",
               lambda: _alive(*survivor))
    took = time.time() - killed_at
    assert took <= TTL + 30, took
    [late] = incidents_of(urls[procs.index(other)], LATE)
    assert (late["state"], late["resolution"]) == ("resolved", "tracker"), late
    # It kept being reminded while nobody could resolve it (the survivor's worker
    # queues reminders too), each once; then one resolution and nothing after it.
    resolved_from = time.monotonic()
    wait_until(lambda: time.monotonic() > resolved_from + REPEAT + 1, REPEAT + 5,
               "one more repeat interval", lambda: _alive(*survivor))
    seen = kinds(sink, LATE)
    assert seen[-1] == "resolved" and seen.count("resolved") == 1, seen
    assert set(seen[:-1]) == {"firing"}, seen
    gaps = firing_gaps(sink, LATE)
    assert all(g >= REPEAT - 0.5 for g in gaps), gaps
    assert all(s in (OFFLINE, BLURRED, LATE) for _, s in messages(sink)), dump(sink)
    print(f"\ntracker lease: {owner} -> {new_owner}; resolved {took:.1f}s after the kill; "
          f"license {LICENSE}; {len(sink.requests)} messages")


def test_two_serve_processes_on_one_sqlite_file_run_one_tracker(tmp_path: Path) -> None:
    _one_tracker_end_to_end(tmp_path, f"sqlite:///{tmp_path / 'router.db'}")


def test_two_replicas_on_postgresql_run_one_tracker(tmp_path: Path,
                                                    postgresql_url: str) -> None:
    _one_tracker_end_to_end(tmp_path, postgresql_url)
