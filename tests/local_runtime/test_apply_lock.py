"""One `local apply` per run: a second one is refused naming the first's pid, and a killed holder
leaves no stale lock (the kernel drops a dead process's flock)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from local_runtime.apply_lock import ApplyInProgressError, apply_lock
from local_runtime.run_directory import RunLayout

HOLD = """
import sys, time
from pathlib import Path
from local_runtime.apply_lock import apply_lock
from local_runtime.run_directory import RunLayout
with apply_lock(RunLayout(Path(sys.argv[1])), "dev"):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_second_apply_is_refused_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    layout = RunLayout(tmp_path)
    with apply_lock(layout, "dev"):
        held = rf"stack dev is running \(pid {os.getpid()}\)"
        with pytest.raises(ApplyInProgressError, match=held), apply_lock(layout, "dev"):
            pass
    with apply_lock(layout, "dev"):  # released at the end of the block
        pass
    assert layout.apply_lock.stat().st_mode & 0o077 == 0


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    layout = RunLayout(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(ApplyInProgressError, match=rf"\(pid {holder.pid}\)"):
            with apply_lock(layout, "dev"):
                pass
    finally:
        holder.kill()
        holder.wait(timeout=10)
    deadline = time.monotonic() + 5
    while True:
        try:
            with apply_lock(layout, "dev"):
                break
        except ApplyInProgressError:
            assert time.monotonic() < deadline, "the lock outlived its holder"
            time.sleep(0.05)
