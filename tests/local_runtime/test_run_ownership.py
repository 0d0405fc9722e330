"""Only run directories `local up` created may be removed: the marker file or a valid state.json
makes a directory one of ours; anything else of the stack's name is refused, naming it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local_runtime.errors import ForeignRunDirectoryError
from local_runtime.private_files import make_private_dir
from local_runtime.run_directory import CREATED_MARKER, RunLayout
from local_runtime.run_ownership import check_created_by_local_up, mark_created_by_local_up
from local_runtime.run_record import RunState, write_state


def _state(layout: RunLayout) -> RunState:
    return RunState(
        stack=layout.root.name,
        run_dir=str(layout.root),
        marker=str(layout.root),
        config_file="/c.yaml",
        started_at="2026-11-22T00:00:00+00:00",
    )


def _refused(layout: RunLayout) -> str:
    with pytest.raises(ForeignRunDirectoryError) as raised:
        check_created_by_local_up(layout)
    return str(raised.value)


def test_a_directory_local_up_marked_is_ours(tmp_path: Path) -> None:
    layout = RunLayout(make_private_dir(tmp_path / "runs" / "dev"))
    mark_created_by_local_up(layout, "dev")
    assert json.loads((layout.root / CREATED_MARKER).read_text()) == {"stack": "dev"}
    assert (layout.root / CREATED_MARKER).stat().st_mode & 0o777 == 0o600
    check_created_by_local_up(layout)


def test_a_missing_directory_or_one_with_a_valid_state_is_ours(tmp_path: Path) -> None:
    layout = RunLayout(tmp_path / "runs" / "dev")
    check_created_by_local_up(layout)  # nothing there: nothing to refuse
    write_state(layout, _state(layout))  # a run started before the marker file existed
    check_created_by_local_up(layout)


def test_a_users_directory_of_the_stacks_name_is_refused_naming_it(tmp_path: Path) -> None:
    layout = RunLayout(tmp_path / "runs" / "dev")
    (layout.root / "src").mkdir(parents=True)
    (layout.root / "src" / "notes.txt").write_text("mine\n")
    assert _refused(layout) == (
        f"{layout.root} is the run directory of stack dev, but `model-endpoints local up` did not "
        "create it (it has no .model-endpoints-run file and no valid state.json), so nothing in "
        "it is removed: move it away, or set MODEL_ENDPOINTS_RUN_DIR to a directory that holds "
        "only run directories"
    )


def test_a_damaged_or_foreign_state_file_alone_does_not_make_it_ours(tmp_path: Path) -> None:
    layout = RunLayout(tmp_path / "runs" / "dev")
    make_private_dir(layout.root)
    layout.state_file.write_text("{not json")
    assert str(layout.root) in _refused(layout)
    write_state(layout, RunState("prod", str(layout.root), str(layout.root), "/c", "now"))
    assert str(layout.root) in _refused(layout)  # the record of another stack's run


def test_a_file_or_a_link_in_place_of_the_directory_is_refused(tmp_path: Path) -> None:
    target = RunLayout(make_private_dir(tmp_path / "real"))
    mark_created_by_local_up(target, "real")
    linked = RunLayout(tmp_path / "runs" / "dev")
    linked.root.parent.mkdir()
    linked.root.symlink_to(target.root)
    assert str(linked.root) in _refused(linked)
    plain = RunLayout(tmp_path / "runs" / "prod")
    plain.root.write_text("a file\n")
    assert str(plain.root) in _refused(plain)


def test_a_marker_that_is_a_link_does_not_count(tmp_path: Path) -> None:
    layout = RunLayout(make_private_dir(tmp_path / "runs" / "dev"))
    elsewhere = tmp_path / "marker"
    elsewhere.write_text("{}\n")
    (layout.root / CREATED_MARKER).symlink_to(elsewhere)
    assert str(layout.root) in _refused(layout)
