"""`stop_local_run` removes a run directory `local up` created and refuses any other, removing
nothing; of the files a run kept outside its directory it removes only sockets."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from local_runtime.errors import ForeignRunDirectoryError
from local_runtime.private_files import make_private_dir, write_private
from local_runtime.run_directory import RunLayout
from local_runtime.run_ownership import mark_created_by_local_up
from local_runtime.run_record import RunState, write_state
from local_runtime.teardown import stop_local_run


def test_a_directory_local_up_did_not_create_is_refused_and_kept(tmp_path: Path) -> None:
    layout = RunLayout(tmp_path / "runs" / "dev")
    notes = layout.root / "src" / "notes.txt"
    notes.parent.mkdir(parents=True)
    notes.write_text("mine\n")
    with pytest.raises(ForeignRunDirectoryError, match=f"^{re.escape(str(layout.root))} is the run"):
        stop_local_run(layout)
    assert notes.read_text() == "mine\n"


def test_a_marked_directory_is_removed_even_with_a_damaged_state(tmp_path: Path) -> None:
    layout = RunLayout(make_private_dir(tmp_path / "runs" / "dev"))
    mark_created_by_local_up(layout, "dev")
    write_private(layout.state_file, "{damaged")
    report = stop_local_run(layout)
    assert report.found and report.signalled == 0 and not layout.root.exists()
    assert not stop_local_run(layout).found  # gone: nothing to do, no error


def test_only_sockets_recorded_outside_the_run_directory_are_removed(tmp_path: Path) -> None:
    layout = RunLayout(make_private_dir(tmp_path / "runs" / "dev"))
    mark_created_by_local_up(layout, "dev")
    admin_socket, other = tmp_path / "s" / "admin.sock", tmp_path / "notes.txt"
    admin_socket.parent.mkdir()
    other.write_text("mine\n")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listening:
        listening.bind(str(admin_socket))
        state = RunState("dev", str(layout.root), str(layout.root), "/c.yaml", "now")
        state.extra_files += [str(admin_socket), str(other), str(tmp_path / "gone.sock")]
        write_state(layout, state)
        stop_local_run(layout)
    assert not admin_socket.exists() and other.read_text() == "mine\n"
