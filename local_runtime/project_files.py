"""The project a local run starts from: its `Pulumi.yaml`, and the config file of one of its stacks.

Local mode finds a stack's config as Pulumi does: the nearest `Pulumi.yaml` from the working
directory up, its `stackConfigDir`, and `Pulumi.<stack>.yaml` there. A stack name also names
files and directories of the run, so it is checked to be a plain one first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import yaml

from local_runtime.errors import LocalRunError
from specification.stack_config import stack_config_file

__all__ = [
    "PROJECT_FILE",
    "check_stack_name",
    "find_project_dir",
    "stack_config_dir",
    "stack_config_path",
]

PROJECT_FILE = "Pulumi.yaml"
_STACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def check_stack_name(stack: str) -> str:
    """A stack name that is safe as a directory and file name component (`dev`, `prod-eu`)."""
    if not _STACK_NAME.fullmatch(stack):
        raise LocalRunError(
            f"stack name {stack!r} cannot be run locally: use letters, digits, '.', '_' and '-' "
            "(a plain stack name such as dev, not org/project/dev)"
        )
    return stack


def find_project_dir(start: Path | None = None) -> Path | None:
    """The nearest directory from `start` (default: the working directory) up that holds
    Pulumi.yaml, else the checkout this package lives in if it holds one, else None."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / PROJECT_FILE).is_file():
            return directory
    checkout = Path(__file__).resolve().parent.parent
    return checkout if (checkout / PROJECT_FILE).is_file() else None


def stack_config_dir(project_dir: Path) -> Path:
    """The project's `stackConfigDir` (from its Pulumi.yaml), else the project directory."""
    try:
        document = yaml.safe_load((project_dir / PROJECT_FILE).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise LocalRunError(f"cannot read {project_dir / PROJECT_FILE}: {error}") from None
    configured = document.get("stackConfigDir") if isinstance(document, Mapping) else None
    return project_dir / configured if isinstance(configured, str) and configured else project_dir


def stack_config_path(stack: str, project_dir: Path | None) -> Path:
    """`<stackConfigDir>/Pulumi.<stack>.yaml` of the project, as Pulumi itself finds it."""
    if project_dir is None:
        raise LocalRunError(
            f"no {PROJECT_FILE} in this directory or its parents: run from the project, or pass "
            "the stack's config file with --config FILE"
        )
    path = stack_config_file(stack_config_dir(project_dir), check_stack_name(stack))
    if not path.is_file():
        raise LocalRunError(
            f"stack {stack!r} has no config file {path}; pass one with --config FILE"
        )
    return path
