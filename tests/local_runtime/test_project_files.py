"""How local mode finds the project and a stack's config file, and which stack names it runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_runtime.errors import LocalRunError
from local_runtime.project_files import (
    check_stack_name,
    find_project_dir,
    stack_config_path,
)

PROJECT = Path(__file__).resolve().parents[2]


def test_the_project_and_its_stack_config_dir() -> None:
    assert find_project_dir(PROJECT / "stacks" / "models") == PROJECT
    assert stack_config_path("dev", PROJECT) == PROJECT / "stacks" / "Pulumi.dev.yaml"
    with pytest.raises(
        LocalRunError, match=r"has no config file .*Pulumi\.prod\.yaml; pass one with --config"
    ):
        stack_config_path("prod", PROJECT)


def test_without_stack_config_dir_the_stack_files_sit_beside_pulumi_yaml(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: other\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    assert find_project_dir(tmp_path) == tmp_path
    assert stack_config_path("dev", tmp_path) == tmp_path / "Pulumi.dev.yaml"


def test_no_project_means_pass_the_config_file() -> None:
    with pytest.raises(LocalRunError, match="pass the stack's config file with --config FILE"):
        stack_config_path("dev", None)


@pytest.mark.parametrize("name", ["org/project/dev", "../dev", "", "dev stack"])
def test_stack_names_that_cannot_be_a_directory(name: str) -> None:
    with pytest.raises(LocalRunError, match="cannot be run locally"):
        check_stack_name(name)
