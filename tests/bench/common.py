"""Shared benchmark helpers: ports, processes, HTTP readiness, load generation, stats, tables.

Everything talks to 127.0.0.1 only. Processes are started in their own session
(process group) and stopped by that group's id, so a benchmark leaves nothing
behind, even on Ctrl-C or an error (use :class:`Proc` as a context manager, or
:class:`ProcessSet`).

Load generation: ``wrk`` when it is on PATH (one closed-loop run, a Lua script
makes every request body unique), else a Python keep-alive client. Both return
a :class:`LoadResult`; ``result.tool`` says which one ran.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
MARKER = "__N__"  # replaced by a per-request unique token in a body template
_CLK_TCK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- ports, signals


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def exit_on_signals() -> None:
    """Turn SIGINT/SIGTERM/SIGHUP into KeyboardInterrupt so ``finally`` blocks stop processes."""

    def _raise(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise)
    # Also when started with SIGINT ignored (a background job of a script): Ctrl-C stops.
    signal.signal(signal.SIGINT, signal.default_int_handler)


# --------------------------------------------------------------------------- processes


class Proc:
    """A child process in its own process group, output to a log file, stopped by group id."""

    def __init__(self, name: str, cmd: Sequence[str], *, env: dict[str, str] | None = None,
                 log_path: Path, cwd: Path = REPO) -> None:
        self.name = name
        self.cmd = list(cmd)
        self.env = {**os.environ, **(env or {})}
        self.log_path = log_path
        self.cwd = cwd
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(
                self.cmd, env=self.env, cwd=self.cwd, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def output(self, tail: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def stop(self, timeout: float = 25.0) -> int | None:
        """SIGTERM the process group, SIGKILL it if it is still there after ``timeout``."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            _killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        # Workers outlive a master that was killed hard: sweep the group once more.
        _killpg(self.popen.pid, signal.SIGKILL)
        return self.popen.returncode

    def __enter__(self) -> Proc:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _killpg(pgid: int, sig: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


class ProcessSet:
    """Processes to stop, newest first, however the benchmark ends."""

    def __init__(self) -> None:
        self._procs: list[Proc] = []

    def start(self, proc: Proc) -> Proc:
        self._procs.append(proc)
        return proc.start()

    def stop_all(self) -> None:
        """Stop every process; a second Ctrl-C meanwhile cannot cut the cleanup short."""
        saved = {sig: signal.signal(sig, signal.SIG_IGN)
                 for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            while self._procs:
                self._procs.pop().stop()
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)

    def __enter__(self) -> ProcessSet:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop_all()


def wait_http(url: str, proc: Proc | None = None, timeout: float = 60.0) -> None:
    """Poll ``url`` until it answers 200; fail early if ``proc`` dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{proc.name} exited before answering {url}:\n{proc.output()}")
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    tail = proc.output() if proc is not None else ""
    raise RuntimeError(f"{url} not answering after {timeout:.0f}s\n{tail}")


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(parents.get(pid, []))
    return tree


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds used so far by ``pids`` (those still alive)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / _CLK_TCK


def system_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (from /proc/stat), to spot other load."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _CLK_TCK


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile, ``q`` in [0, 100]; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def fmt(value: float | int | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]],
                out: Any = None) -> None:
    """A plain, right-aligned text table (first column left-aligned)."""
    out = out or sys.stdout
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths, strict=True)))

    print(line(cells[0]), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in cells[1:]:
        print(line(row), file=out)


# --------------------------------------------------------------------------- load generation


@dataclass
class LoadResult:
    tool: str                       # "wrk 4.1.0 (1 thread)" or "python (16 threads)"
    duration_s: float
    requests: int                   # responses received
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    statuses: Counter[int] = field(default_factory=Counter)
    socket_errors: int = 0          # connect/read/write/timeout errors
    ok_ids: list[int] = field(default_factory=list)   # alert_id of every 200 (if parsed)
    duplicates: int = 0             # 200s that said "duplicate"
    loadgen_cpu_s: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def non_200(self) -> int:
        return sum(n for code, n in self.statuses.items() if code != 200)


@dataclass(frozen=True)
class LoadSpec:
    url: str                        # http://127.0.0.1:PORT/path
    body_template: str              # request body; MARKER is replaced per request
    duration_s: float = 10.0
    connections: int = 16
    threads: int = 1                # wrk threads (the Python generator uses one per connection)
    content_type: str = "application/json"
    timeout_s: float = 5.0
    run_tag: str = "r"              # prefix of the per-request token, unique per run


def run_load(spec: LoadSpec, *, prefer: str = "auto") -> LoadResult:
    """wrk if available (and not ``prefer='python'``), else the Python generator."""
    if prefer != "python" and shutil.which("wrk"):
        return run_wrk(spec)
    if prefer == "wrk":
        raise RuntimeError("wrk requested but not on PATH (apt-get install -y wrk)")
    return run_python(spec)


_WRK_LUA = r"""
-- Generated by tests/bench/common.py. Every request body is unique:
-- PREFIX .. run_tag .. "-" .. thread .. "-" .. counter .. SUFFIX
local PREFIX = [==[%(prefix)s]==]
local SUFFIX = [==[%(suffix)s]==]
local TAG = [==[%(tag)s]==]
local threads = {}
tid = 0                 -- global: set per thread by setup() before init()
local counter = 0
codes = {}
ids = {}
dups = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = [==[%(ctype)s]==]
end

function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, PREFIX .. TAG .. "-" .. tid .. "-" .. counter .. SUFFIX)
end

function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
  if status == 200 then
    local id = body:match('"alert_id":%%s*(%%d+)')
    if id then ids[#ids + 1] = id end
    if body:find('"duplicate"', 1, true) then dups = dups + 1 end
  end
end

function done(summary, latency, requests)
  local f = io.open([==[%(ids_file)s]==], "w")
  local parts = {}
  local ndups = 0
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("codes")) do
      parts[#parts + 1] = string.format('"%%d": %%d', code, n)
    end
    for _, id in ipairs(t:get("ids")) do f:write(id, "\n") end
    ndups = ndups + t:get("dups")
  end
  f:close()
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"duration_us": %%d, "requests": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"mean_us": %%f, "max_us": %%d, "socket_errors": %%d, "status_errors": %%d, ' ..
    '"duplicates": %%d, "codes": {%%s}}\n',
    summary.duration, summary.requests, latency:percentile(50), latency:percentile(99),
    latency.mean, latency.max, e.connect + e.read + e.write + e.timeout, e.status,
    ndups, table.concat(parts, ", ")))
end
"""


def _split_template(template: str) -> tuple[str, str]:
    if template.count(MARKER) != 1:
        raise ValueError(f"body template must contain {MARKER} exactly once")
    prefix, suffix = template.split(MARKER)
    if "]==]" in template:
        raise ValueError("body template must not contain ']==]'")
    return prefix, suffix


def wrk_version() -> str:
    try:
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return "wrk"
    found = re.search(r"wrk (\S+)", out.stdout + out.stderr)
    return f"wrk {found.group(1)}" if found else "wrk"


def run_wrk(spec: LoadSpec) -> LoadResult:
    prefix, suffix = _split_template(spec.body_template)
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        ids_file = Path(tmp) / "ids.txt"
        lua = Path(tmp) / "body.lua"
        lua.write_text(_WRK_LUA % {"prefix": prefix, "suffix": suffix, "tag": spec.run_tag,
                                   "ctype": spec.content_type, "ids_file": str(ids_file)})
        cmd = ["wrk", "-t", str(spec.threads), "-c", str(spec.connections),
               "-d", f"{spec.duration_s:g}s", "--timeout", f"{spec.timeout_s:g}s",
               "--latency", "-s", str(lua), spec.url]
        cpu0 = children_cpu_seconds()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=spec.duration_s + spec.timeout_s + 30)
        finally:
            if proc.poll() is None:
                _killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        cpu = children_cpu_seconds() - cpu0
        line = next((ln for ln in out.splitlines() if ln.startswith("BENCH_JSON ")), None)
        if proc.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed ({proc.returncode}): {err.strip()}\n{out}")
        data = json.loads(line.removeprefix("BENCH_JSON "))
        ids = [int(x) for x in ids_file.read_text().split()]
    return LoadResult(
        tool=f"{wrk_version()} ({spec.threads} thread{'s' if spec.threads > 1 else ''})",
        duration_s=data["duration_us"] / 1e6,
        requests=data["requests"],
        p50_ms=data["p50_us"] / 1000, p99_ms=data["p99_us"] / 1000,
        mean_ms=data["mean_us"] / 1000, max_ms=data["max_us"] / 1000,
        statuses=Counter({int(k): v for k, v in data["codes"].items()}),
        socket_errors=data["socket_errors"], ok_ids=ids, duplicates=data["duplicates"],
        loadgen_cpu_s=cpu,
    )


_ALERT_ID = re.compile(rb'"alert_id":\s*(\d+)')


def run_python(spec: LoadSpec) -> LoadResult:
    """Closed loop: one thread per connection, HTTP/1.1 keep-alive, stop at the deadline.

    Each connection finishes its in-flight request, so (unlike wrk) nothing is cut off.
    Limited by the GIL: on a small machine it saturates before a fast server does.
    """
    prefix, suffix = _split_template(spec.body_template)
    port = int(spec.url.split(":")[2].split("/")[0])
    path = "/" + spec.url.split("/", 3)[3]
    start_at = time.monotonic() + 0.2
    stop_at = start_at + spec.duration_s
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    ids: list[int] = []
    errors = [0, 0]  # socket errors, duplicates

    def client(n: int) -> None:
        lat: list[float] = []
        codes: Counter[int] = Counter()
        got: list[int] = []
        errs = dups = 0
        conn = http.client.HTTPConnection(HOST, port, timeout=spec.timeout_s)
        headers = {"Content-Type": spec.content_type}
        counter = 0
        while time.monotonic() < start_at:
            time.sleep(0.001)
        while time.monotonic() < stop_at:
            counter += 1
            body = f"{prefix}{spec.run_tag}-{n}-{counter}{suffix}".encode()
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
            except (OSError, http.client.HTTPException):
                errs += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=spec.timeout_s)
                continue
            lat.append(time.perf_counter() - t0)
            codes[answer.status] += 1
            if answer.status == 200:
                found = _ALERT_ID.search(data)
                if found:
                    got.append(int(found.group(1)))
                if b'"duplicate"' in data:
                    dups += 1
        conn.close()
        with lock:
            latencies.extend(lat)
            statuses.update(codes)
            ids.extend(got)
            errors[0] += errs
            errors[1] += dups

    cpu0 = time.process_time()
    workers = [threading.Thread(target=client, args=(i,), daemon=True)
               for i in range(spec.connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=spec.duration_s + spec.timeout_s + 30)
    elapsed = max(time.monotonic(), stop_at) - start_at
    ms = [x * 1000 for x in latencies]
    return LoadResult(
        tool=f"python http.client ({spec.connections} threads)",
        duration_s=elapsed, requests=len(ms),
        p50_ms=percentile(ms, 50), p99_ms=percentile(ms, 99),
        mean_ms=sum(ms) / len(ms) if ms else math.nan, max_ms=max(ms, default=math.nan),
        statuses=statuses, socket_errors=errors[0], ok_ids=ids, duplicates=errors[1],
        loadgen_cpu_s=time.process_time() - cpu0,
    )


# --------------------------------------------------------------------------- measuring a server


@dataclass
class Measured:
    load: LoadResult
    server_cpu_s: float
    system_cpu_s: float = 0.0       # every process on the machine, during the run

    @property
    def other_cpu_s(self) -> float:
        """CPU used during the run by neither the server nor the load generator."""
        return max(0.0, self.system_cpu_s - self.server_cpu_s - self.load.loadgen_cpu_s)

    @property
    def server_cpu_ms_per_req(self) -> float:
        return 1000 * self.server_cpu_s / self.load.requests if self.load.requests else math.nan


def measure(server: Proc, spec: LoadSpec, *, prefer: str = "auto",
            warmup_s: float = 2.0, settle: Callable[[], None] | None = None) -> Measured:
    """Warm the server up, then run ``spec`` while recording the server tree's CPU time."""
    if warmup_s > 0:
        run_load(LoadSpec(**{**spec.__dict__, "duration_s": warmup_s,
                             "run_tag": spec.run_tag + "w"}), prefer=prefer)
    time.sleep(0.5)  # let requests cut off at the warm-up deadline finish
    if settle is not None:
        settle()
    tree = process_tree(server.pid)
    cpu0, sys0 = cpu_seconds(tree), system_busy_seconds()
    result = run_load(spec, prefer=prefer)
    cpu, system = cpu_seconds(tree) - cpu0, system_busy_seconds() - sys0
    return Measured(load=result, server_cpu_s=cpu, system_cpu_s=system)


@contextmanager
def bench_dir(keep: bool = False) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="router-bench-"))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)
