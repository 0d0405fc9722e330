"""Where runs and virtualenvs live, and how a stack's config file is found."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_runtime.errors import LocalRunError
from local_runtime.locations import (
    check_stack_name,
    find_project_dir,
    run_dir_for,
    runs_root,
    stack_config_path,
    venv_cache_dir,
)

PROJECT = Path(__file__).resolve().parents[2]


def test_the_project_and_its_stack_config_dir() -> None:
    assert find_project_dir(PROJECT / "stacks" / "models") == PROJECT
    assert stack_config_path("dev", PROJECT) == PROJECT / "stacks" / "Pulumi.dev.yaml"
    with pytest.raises(
        LocalRunError, match=r"has no config file .*Pulumi\.prod\.yaml; pass one with --config"
    ):
        stack_config_path("prod", PROJECT)


def test_runs_live_in_the_project_unless_the_environment_says_otherwise(tmp_path: Path) -> None:
    assert runs_root(PROJECT, {}) == PROJECT / ".model-endpoints" / "runs"
    assert runs_root(PROJECT, {"MODEL_ENDPOINTS_RUN_DIR": str(tmp_path)}) == tmp_path
    assert run_dir_for("dev", tmp_path) == tmp_path / "dev"
    with pytest.raises(LocalRunError, match="MODEL_ENDPOINTS_RUN_DIR"):
        runs_root(None, {})


def test_the_venv_cache_follows_xdg(tmp_path: Path) -> None:
    assert (
        venv_cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "model-endpoints" / "venvs"
    )
    assert venv_cache_dir({}) == Path.home() / ".cache" / "model-endpoints" / "venvs"


@pytest.mark.parametrize("name", ["org/project/dev", "../dev", "", "dev stack"])
def test_stack_names_that_cannot_be_a_directory(name: str) -> None:
    with pytest.raises(LocalRunError, match="cannot be run locally"):
        check_stack_name(name)
