"""Which run directories a local run may remove: only those `local up` created itself.

A stack's run directory is `<runs root>/<stack>`, and `dev` is a common folder name: with
`MODEL_ENDPOINTS_RUN_DIR` pointing at a folder of the user's, that path can be a directory the
project never wrote. `local up` writes a marker file into the directory it creates; `local down`,
and `local up` finding files of an earlier run, remove a directory only when it has that marker
(or a valid `state.json`, as runs started before the marker existed have) and refuse otherwise,
naming the directory.
"""

from __future__ import annotations

import json
import os
import stat

from local_runtime.errors import ForeignRunDirectoryError, LocalRunError
from local_runtime.private_files import write_private
from local_runtime.run_directory import RUNS_DIR_ENV, RunLayout
from local_runtime.run_record import read_state

__all__ = ["check_created_by_local_up", "mark_created_by_local_up"]


def mark_created_by_local_up(layout: RunLayout, stack: str) -> None:
    """Record that `local up` of `stack` created `layout.root` (just now, empty)."""
    write_private(layout.created_marker, json.dumps({"stack": stack}) + "\n")


def _has_marker(layout: RunLayout) -> bool:
    try:
        info = os.lstat(layout.created_marker)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid()


def _has_valid_state(layout: RunLayout) -> bool:
    try:
        state = read_state(layout)
    except LocalRunError:
        return False
    return state is not None and state.stack == layout.root.name


def check_created_by_local_up(layout: RunLayout) -> None:
    """ForeignRunDirectoryError unless `layout.root` is missing or a run directory `local up`
    created (a real directory with the marker file or a valid state.json)."""
    root = layout.root
    if not os.path.lexists(root):
        return
    is_directory = root.is_dir() and not root.is_symlink()
    if is_directory and (_has_marker(layout) or _has_valid_state(layout)):
        return
    raise ForeignRunDirectoryError(
        f"{root} is the run directory of stack {root.name}, but `model-endpoints local up` did not "
        f"create it (it has no {layout.created_marker.name} file and no valid state.json), so "
        f"nothing in it is removed: move it away, or set {RUNS_DIR_ENV} to a directory that "
        "holds only run directories"
    )
