"""What the kernel says about a process (Linux `/proc`): start time, group, command line, marker.

`local down` must signal only processes it started. A recorded pid may have been reused by an
unrelated program since, so a pid counts as ours only if its start time (clock ticks since boot,
unique per pid) and command line still match the record, or if its environment carries the run's
marker (inherited by every child of ours, never set by anyone else).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ProcessInfo", "all_pids", "children", "has_marker", "process_info"]

_PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessInfo:
    """A live (or zombie) process as `/proc/<pid>` shows it."""

    pid: int
    state: str  # R, S, D, Z (zombie), T, ...
    pgid: int
    start_ticks: int
    argv: tuple[str, ...]
    ppid: int = 0  # the parent's pid

    @property
    def is_zombie(self) -> bool:
        return self.state in ("Z", "X")


def process_info(pid: int) -> ProcessInfo | None:
    """The process `pid`, or None if there is none (or it vanished while being read)."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
        raw_argv = (_PROC / str(pid) / "cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) is in parentheses and may itself contain ") ".
    fields = stat[stat.rindex(")") + 2 :].split()
    argv = tuple(part.decode(errors="replace") for part in raw_argv.split(b"\0") if part)
    return ProcessInfo(
        pid=pid,
        state=fields[0],
        pgid=int(fields[2]),
        start_ticks=int(fields[19]),
        argv=argv,
        ppid=int(fields[1]),
    )


def all_pids() -> Iterator[int]:
    """Every pid in /proc at this moment."""
    for entry in os.scandir(_PROC):
        if entry.name.isdigit():
            yield int(entry.name)


def children(pid: int) -> set[int]:
    """The live (not zombie) processes whose parent is `pid`."""
    found = set()
    for candidate in all_pids():
        info = process_info(candidate)
        if info is not None and info.ppid == pid and not info.is_zombie:
            found.add(candidate)
    return found


def has_marker(pid: int, name: str, value: str) -> bool:
    """Whether the environment `pid` started with holds `name=value` (False if unreadable)."""
    try:
        environ = (_PROC / str(pid) / "environ").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    return f"{name}={value}".encode() in environ.split(b"\0")
