"""Child processes of a benchmark run, reaped with os.wait4 so their peak memory is known.

Every process a run starts leads a process group of its own and is remembered here until it is
reaped, so `stop_all` (called from a finally block and from atexit) can end exactly those
groups, by id, and nothing else: a figure stopped half-way takes its mapping workers with it.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_started: dict[int, subprocess.Popen] = {}


@dataclass(frozen=True)
class Reaped:
    exit_code: int | None  # None when it was killed because it ran out of time
    # In bytes: the process's own high-water mark when it could be read before it ended (see
    # `high_water_mark`), else ru_maxrss of wait4, which is an upper bound: it also counts the
    # children it waited for and the memory of this process when it started the child.
    peak_rss_bytes: int
    timed_out: bool = False


def high_water_mark(pid: int | str = "self") -> int | None:
    """Peak resident memory of a live process's current program, in bytes (VmHWM, Linux).

    Unlike ru_maxrss it starts afresh at exec: ru_maxrss of a child also holds the memory
    of the process that started it, as it was when the child was forked.
    """
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int | str) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            text = stat.read()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    return [text[:text.index(" ")], text[text.index("(") + 1:text.rindex(")")],
            *text[text.rindex(")") + 2:].split()]


def cpu_seconds(pid: int | str) -> float | None:
    """User + system CPU time a live process has used so far (Linux), in seconds."""
    fields = _stat_fields(pid)
    return None if fields is None else (int(fields[13]) + int(fields[14])) / _TICK


def postgres_cpu_seconds() -> float | None:
    """CPU time used so far by the PostgreSQL server processes on this machine: every live
    `postgres` process's own, plus what the postmaster holds for children it has reaped (the
    backends of closed connections). Only meaningful for a server on this machine, which the
    suite reads before and after a figure."""
    total, found = 0.0, False
    try:
        pids = [entry for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        return None
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is None or fields[1] != "postgres":
            continue
        found = True
        total += int(fields[13]) + int(fields[14])
        parent = _stat_fields(fields[3])
        if parent is None or parent[1] != "postgres":  # the postmaster: its reaped children
            total += int(fields[15]) + int(fields[16])
    return total / _TICK if found else None


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every child: ours, with the project root importable."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{path}" if path else str(ROOT),
            "PYTHONUNBUFFERED": "1", **(extra or {})}


def start(argv: list[str], *, log: Path, stdout_pipe: bool = False,
          env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start `argv` (a Python module run with our interpreter) from the project root; its
    stderr (and stdout, unless piped to us) goes to `log`."""
    with open(log, "ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, *argv], cwd=ROOT, env=child_env(env), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout_pipe else log_file, stderr=log_file,
            start_new_session=True)  # its own group: Ctrl-C reaches the suite, which cleans up
    _started[process.pid] = process
    return process


def reap(process: subprocess.Popen, *, timeout_s: float | None = None,
         on_tick: Callable[[float], None] | None = None, tick_s: float = 30.0) -> Reaped:
    """Wait for `process` to end and return its exit code and peak memory.

    `on_tick(elapsed)` is called every `tick_s` seconds while it runs; after `timeout_s` it is
    terminated (then killed) and reported as timed out.
    """
    began = time.monotonic()
    next_tick = began + tick_s
    timed_out = False
    kill_at = None
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        now = time.monotonic()
        if timeout_s is not None and now - began > timeout_s and not timed_out:
            timed_out, kill_at = True, now + 5.0
            _signal_group(process.pid, signal.SIGTERM)
        elif kill_at is not None and now > kill_at:
            kill_at = None
            _signal_group(process.pid, signal.SIGKILL)
        if on_tick and now >= next_tick:
            on_tick(now - began)
            next_tick += tick_s
        time.sleep(0.05)
    if timed_out:  # what the stopped process started may still run: its group goes too
        _signal_group(process.pid, signal.SIGKILL)
    _started.pop(process.pid, None)
    code = os.waitstatus_to_exitcode(status)
    process.returncode = code  # reaped here, so Popen must not wait for it again
    if process.stdout:
        process.stdout.close()
    return Reaped(None if timed_out else code, usage.ru_maxrss * 1024, timed_out)


def stop(process: subprocess.Popen, *, grace_s: float = 15.0) -> Reaped:
    """Interrupt `process` (SIGINT, as Ctrl-C would), terminate it if it lingers, and reap it;
    its peak memory is read just before it is interrupted."""
    peak = high_water_mark(process.pid) if process.pid in _started else None
    _signal(process.pid, signal.SIGINT)
    reaped = reap(process, timeout_s=grace_s)
    return replace(reaped, peak_rss_bytes=peak) if peak else reaped


def stop_all() -> None:
    """End every process this run started and has not reaped yet."""
    for process in list(_started.values()):
        _signal_group(process.pid, signal.SIGTERM)
        try:
            reap(process, timeout_s=5.0)
        except ChildProcessError:
            _started.pop(process.pid, None)
        _signal_group(process.pid, signal.SIGKILL, reaped=True)


def read_ready_line(process: subprocess.Popen, parse: Callable[[str], str | None],
                    timeout_s: float = 60.0) -> str:
    """Read the child's stdout until `parse` recognises a line; returns what `parse` returned."""
    fd = process.stdout.fileno()
    buffer = b""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:  # it exited (reaped later by `reap` or `stop`, for its rusage)
            break
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            found = parse(line.decode("utf-8", "replace"))
            if found:
                return found
    raise RuntimeError(f"{' '.join(map(str, process.args[1:4]))} did not report that it was "
                       f"ready within {timeout_s:.0f} s")


def _signal(pid: int, signum: int) -> None:
    """Signal a process this module started and has not reaped; never anything else."""
    if pid in _started:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


def _signal_group(pid: int, signum: int, *, reaped: bool = False) -> None:
    """Signal the process group led by a process this module started (its id is the
    leader's pid); `reaped` for the stragglers of a leader just reaped here."""
    if pid in _started or reaped:
        try:
            os.killpg(pid, signum)
        except (ProcessLookupError, PermissionError):
            pass
