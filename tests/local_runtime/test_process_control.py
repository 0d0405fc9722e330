"""Starting and stopping a run's processes: new sessions, the marker, and signalling only ours."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from local_runtime.child_environment import process_environment
from local_runtime.process_control import (
    RUN_MARKER_ENV,
    RecordedProcess,
    is_running,
    marked_pids,
    start_process,
    stop_processes,
)
from local_runtime.procfs import process_info

# A parent that starts a child in its own group, prints the child's pid, then waits.
PARENT_WITH_CHILD = (
    "import subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
    "print(child.pid, flush=True)\n"
    "time.sleep(60)\n"
)


@pytest.fixture
def marker(tmp_path: Path) -> Iterator[str]:
    value = str(tmp_path / "run")
    try:
        yield value
    finally:
        stop_processes([], value, grace_seconds=2)  # whatever a failed test left


def _start(
    marker: str, tmp_path: Path, code: str, name: str = "p"
) -> tuple[RecordedProcess, subprocess.Popen[bytes]]:
    return start_process(
        name,
        "replica",
        [sys.executable, "-c", code],
        env=process_environment({}, marker),
        cwd=tmp_path,
        log_path=tmp_path / f"{name}.log",
    )


def _child_pid(log: Path) -> int:
    deadline = time.monotonic() + 20
    while not log.read_text().strip():
        assert time.monotonic() < deadline, "the child's pid was never printed"
        time.sleep(0.05)
    return int(log.read_text().split()[0])


def test_a_process_starts_in_its_own_session_with_the_marker(marker: str, tmp_path: Path) -> None:
    record, _ = _start(marker, tmp_path, PARENT_WITH_CHILD)
    assert record.pgid == record.pid and os.getsid(record.pid) == record.pid
    assert record.argv[1:3] == ("-c", PARENT_WITH_CHILD)
    assert (tmp_path / "p.log").stat().st_mode & 0o777 == 0o600
    child = _child_pid(tmp_path / "p.log")
    assert marked_pids(marker) == {record.pid, child}
    assert is_running(record, marker)
    assert process_environment({"A": "1"}, marker)[RUN_MARKER_ENV] == marker


def test_stop_ends_the_recorded_process_and_its_children(marker: str, tmp_path: Path) -> None:
    record, process = _start(marker, tmp_path, PARENT_WITH_CHILD)
    child = _child_pid(tmp_path / "p.log")
    signalled = stop_processes([record], marker, grace_seconds=5)
    assert signalled == {record.pid, child}
    process.wait(timeout=5)  # already reaped by stop_processes: it was our child
    assert process_info(record.pid) is None
    assert process_info(child) is None or process_info(child).is_zombie  # type: ignore[union-attr]
    assert marked_pids(marker) == set() and not is_running(record, marker)


def test_what_is_left_of_a_group_whose_leader_died_is_stopped(marker: str, tmp_path: Path) -> None:
    record, process = _start(marker, tmp_path, PARENT_WITH_CHILD)
    child = _child_pid(tmp_path / "p.log")
    os.kill(record.pid, signal.SIGKILL)
    process.wait(timeout=5)
    assert not is_running(record, marker) and marked_pids(marker) == {child}
    assert stop_processes([record], marker) == {child}
    assert marked_pids(marker) == set()


def test_a_reused_pid_is_never_signalled(marker: str, tmp_path: Path) -> None:
    # A process that is not ours (no marker) under a record whose start time does not match,
    # as after the recorded process died and the kernel gave its pid to another program.
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        info = process_info(stranger.pid)
        assert info is not None
        record = RecordedProcess(
            "old", "replica", stranger.pid, stranger.pid, info.start_ticks - 1, info.argv, "log"
        )
        assert not is_running(record, marker)
        assert stop_processes([record], marker, grace_seconds=1) == set()
        assert stranger.poll() is None  # still alive
        # the same pid with the right start time but another command line: not ours either
        assert not is_running(
            replace(record, start_ticks=info.start_ticks, argv=("other",)), marker
        )
    finally:
        stranger.kill()
        stranger.wait(timeout=5)
