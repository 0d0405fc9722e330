"""What /proc says about a process: state, group, start time, command line and marker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_runtime.procfs import all_pids, children, has_marker, process_info

SLEEP = "import time; time.sleep(60)"


@pytest.fixture
def sleeper(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process whose command name holds `) S 1 2`, as a field parser splitting on `) ` or
    spaces would misread, and whose environment carries a marker."""
    tricky = tmp_path / "x) S 1 2"
    tricky.symlink_to(sys.executable)
    process = subprocess.Popen(
        [str(tricky), "-c", SLEEP], env={**os.environ, "RUN_MARKER": "/runs/dev"}
    )
    try:
        yield process
    finally:
        process.kill()
        process.wait(timeout=5)


def test_a_live_process_as_the_kernel_shows_it(sleeper: subprocess.Popen[bytes]) -> None:
    info = process_info(sleeper.pid)
    assert info is not None
    assert info.pgid == os.getpgid(sleeper.pid) and not info.is_zombie
    assert info.argv[1:] == ("-c", SLEEP) and info.argv[0].endswith("x) S 1 2")
    with open(f"/proc/{sleeper.pid}/stat") as stat:  # field 22, after the command name
        assert info.start_ticks == int(stat.read().rsplit(")", 1)[1].split()[19])
    assert sleeper.pid in set(all_pids())
    assert info.ppid == os.getpid() and sleeper.pid in children(os.getpid())


def test_the_marker_is_read_from_the_environment(sleeper: subprocess.Popen[bytes]) -> None:
    assert has_marker(sleeper.pid, "RUN_MARKER", "/runs/dev")
    assert not has_marker(sleeper.pid, "RUN_MARKER", "/runs/other")
    assert not has_marker(os.getpid(), "RUN_MARKER", "/runs/dev")


def test_a_zombie_and_a_gone_process() -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 20
    # it exits at once and, unreaped, stays a zombie
    while (info := process_info(process.pid)) is not None and not info.is_zombie:
        assert time.monotonic() < deadline, "the process never exited"
        time.sleep(0.02)
    assert info is not None and info.is_zombie
    process.wait(timeout=5)
    assert process_info(process.pid) is None
