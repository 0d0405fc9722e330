"""Where a stack's run directory is, and where a run's files go inside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_runtime.errors import LocalRunError
from local_runtime.run_directory import RunLayout, run_dir_for, runs_root

PROJECT = Path(__file__).resolve().parents[2]


def test_runs_live_in_the_project_unless_the_environment_says_otherwise(tmp_path: Path) -> None:
    assert runs_root(PROJECT, {}) == PROJECT / ".model-endpoints" / "runs"
    assert runs_root(PROJECT, {"MODEL_ENDPOINTS_RUN_DIR": str(tmp_path)}) == tmp_path
    assert run_dir_for("dev", tmp_path) == tmp_path / "dev"
    with pytest.raises(LocalRunError, match="MODEL_ENDPOINTS_RUN_DIR"):
        runs_root(None, {})


def test_a_run_directory_is_named_by_a_plain_stack_name(tmp_path: Path) -> None:
    with pytest.raises(LocalRunError, match="cannot be run locally"):
        run_dir_for("../dev", tmp_path)


def test_the_files_of_a_run() -> None:
    layout = RunLayout(Path("/runs/dev"))
    assert layout.state_file == Path("/runs/dev/state.json")
    assert layout.keys_dir == Path("/runs/dev/keys")
    assert layout.router_dir("ep") == Path("/runs/dev/router/ep")
    assert layout.router_log("ep") == Path("/runs/dev/logs/ep-router.log")
    assert layout.replica_log("ep-v1-1") == Path("/runs/dev/logs/ep-v1-1.log")
    assert layout.model_data_file("ep", "v1") == Path("/runs/dev/model-data/v1.jsonl")
    assert layout.model_data_file("ep", "v1", qualified=True) == Path(
        "/runs/dev/model-data/ep-v1.jsonl"
    )
