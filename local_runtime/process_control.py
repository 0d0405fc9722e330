"""Start a run's processes detached from the terminal, and stop exactly those processes later.

Each process starts in a session (and process group) of its own, so closing the terminal or
`local up` returning does not stop it, with its output in a log file and the run's marker in its
environment (which `local_runtime.child_environment` builds from an allowlist). Its pid, group,
start time and command line are recorded; `stop_processes` signals a pid only after checking that
it is still the recorded process (or carries the marker), and also stops what is left of a group
whose leader died (a gunicorn worker, an HAProxy worker).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from local_runtime.private_files import FILE_MODE
from local_runtime.procfs import all_pids, has_marker, process_info

__all__ = [
    "RUN_MARKER_ENV",
    "ProcessKind",
    "RecordedProcess",
    "is_running",
    "marked_pids",
    "start_process",
    "stop_processes",
    "stop_recorded_processes",
]

RUN_MARKER_ENV = "MODEL_ENDPOINTS_LOCAL_RUN"  # value: the run directory's absolute path
_POLL_SECONDS = 0.05

ProcessKind = Literal["replica", "router", "routing-agent"]


@dataclass(frozen=True)
class RecordedProcess:
    """A started process as the run's state records it."""

    name: str
    kind: ProcessKind
    pid: int
    pgid: int
    start_ticks: int
    argv: tuple[str, ...]
    log: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "pid": self.pid,
            "pgid": self.pgid,
            "start_ticks": self.start_ticks,
            "argv": list(self.argv),
            "log": self.log,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecordedProcess:
        return cls(
            name=str(data["name"]),
            kind=data["kind"],
            pid=int(data["pid"]),
            pgid=int(data["pgid"]),
            start_ticks=int(data["start_ticks"]),
            argv=tuple(str(part) for part in data["argv"]),
            log=str(data["log"]),
        )


def start_process(
    name: str,
    kind: ProcessKind,
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log_path: Path,
) -> tuple[RecordedProcess, subprocess.Popen[bytes]]:
    """Start `argv` in a new session with stdout and stderr appended to `log_path` (mode 0600)."""
    descriptor = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    try:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=descriptor,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=dict(env),
            start_new_session=True,
        )
    finally:
        os.close(descriptor)
    # Popen returns once exec succeeded, so /proc shows the new program (a zombie if it already
    # exited: it stays until reaped, so its start time is still there to read).
    info = process_info(process.pid)
    record = RecordedProcess(
        name=name,
        kind=kind,
        pid=process.pid,
        pgid=process.pid,
        start_ticks=info.start_ticks if info else 0,
        argv=info.argv if info and info.argv else tuple(argv),
        log=str(log_path),
    )
    return record, process


def _reap(pid: int) -> None:
    """Collect the exit status if `pid` is our own child (an in-process `up` or demo)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _is_recorded(record: RecordedProcess, marker: str) -> bool:
    info = process_info(record.pid)
    if info is None or info.is_zombie or info.start_ticks != record.start_ticks:
        return False
    return info.argv == record.argv or has_marker(record.pid, RUN_MARKER_ENV, marker)


def is_running(record: RecordedProcess, marker: str) -> bool:
    """Whether the recorded process itself is still alive (not a later process with its pid)."""
    _reap(record.pid)
    return _is_recorded(record, marker)


def marked_pids(marker: str) -> set[int]:
    """Live processes carrying the run's marker."""
    found: set[int] = set()
    for pid in all_pids():
        if pid == os.getpid():
            continue
        info = process_info(pid)
        if info is None or info.is_zombie:
            continue
        if has_marker(pid, RUN_MARKER_ENV, marker):
            found.add(pid)
    return found


def _alive(pids: Iterable[int]) -> set[int]:
    left = set()
    for pid in pids:
        _reap(pid)
        info = process_info(pid)
        if info is not None and not info.is_zombie:
            left.add(pid)
    return left


def _signal_all(pids: Iterable[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def _wait_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    left = _alive(pids)
    while left and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
        left = _alive(left)
    return left


def stop_processes(
    records: Iterable[RecordedProcess], marker: str, grace_seconds: float = 5.0
) -> set[int]:
    """Stop the recorded processes, the rest of their groups, and any process with the marker.

    SIGTERM first, SIGKILL for whatever is still alive after `grace_seconds`. A recorded pid now
    owned by some other program is left alone. Returns the pids that were signalled.
    """
    targets = {record.pid for record in records if _is_recorded(record, marker)}
    # What is left of the groups (a worker whose master died) and children that left them:
    # every process of ours carries the marker, and nobody else's does.
    targets |= marked_pids(marker)
    if not targets:
        return set()
    _signal_all(targets, signal.SIGTERM)
    left = _wait_gone(targets, grace_seconds)
    if left:
        _signal_all(left, signal.SIGKILL)
        _wait_gone(left, 5.0)
    return targets


def stop_recorded_processes(
    records: Iterable[RecordedProcess], marker: str, grace_seconds: float = 5.0
) -> set[int]:
    """Stop only these recorded processes and what is left of their process groups (e.g. a
    replica's gunicorn workers), never another process of the run: SIGTERM, then SIGKILL after
    `grace_seconds`. A recorded pid now owned by some other program is left alone. Returns the
    pids that were signalled."""
    chosen = list(records)
    targets = {record.pid for record in chosen if _is_recorded(record, marker)}
    groups = {record.pgid for record in chosen}
    for pid in marked_pids(marker):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.getpgid(pid) in groups:
                targets.add(pid)
    if not targets:
        return set()
    _signal_all(targets, signal.SIGTERM)
    left = _wait_gone(targets, grace_seconds)
    if left:
        _signal_all(left, signal.SIGKILL)
        _wait_gone(left, 5.0)
    return targets
