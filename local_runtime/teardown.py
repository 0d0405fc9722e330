"""`local down`: stop exactly what a run started and remove its run directory.

The processes come from `state.json`; each pid is checked to still be the recorded process before
it is signalled, and whatever carries the run's marker (what is left of a process group after a
crash, a child that left its group) is stopped too. Works on a run that crashed half-way, on one
whose processes all died, and on a run directory whose state file is damaged. A directory that
`local up` did not create is neither read for pids nor removed (`run_ownership`).
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from local_runtime.errors import LocalRunError
from local_runtime.process_control import stop_processes
from local_runtime.run_directory import RunLayout
from local_runtime.run_ownership import check_created_by_local_up
from local_runtime.run_record import read_state

__all__ = ["StopReport", "stop_local_run"]


@dataclass(frozen=True)
class StopReport:
    run_dir: Path
    found: bool  # there was a run directory
    signalled: int  # processes that were still running and were stopped


def _remove_socket(path: Path) -> None:
    """Remove a router admin socket the run kept outside its directory (and nothing else)."""
    try:
        if stat.S_ISSOCK(os.lstat(path).st_mode):
            path.unlink()
    except FileNotFoundError:
        pass


def stop_local_run(layout: RunLayout) -> StopReport:
    """Stop the run in `layout.root` and remove the directory (a missing one is fine).

    Raises ForeignRunDirectoryError, touching nothing, when the directory exists but `local up`
    did not create it."""
    check_created_by_local_up(layout)
    try:
        state = read_state(layout)
    except LocalRunError:
        state = None  # damaged: fall back to the marker, which is the run directory's path
    marker = state.marker if state else str(layout.root)
    records = state.processes if state else []
    signalled = stop_processes(records, marker)
    for extra in state.extra_files if state else []:
        _remove_socket(Path(extra))
    found = layout.root.exists()
    if found:
        shutil.rmtree(layout.root)
    return StopReport(layout.root, found, len(signalled))
