"""Where a local run keeps its files: the project, a stack's config file, run and cache directories.

A run directory holds what one `local up` started (state, keys, router files, logs) and goes away
with `local down`, so it lives in the project (`.model-endpoints/runs/<stack>/`, gitignored) or
under `$MODEL_ENDPOINTS_RUN_DIR`. Virtualenvs outlive runs: they are cached per user under
`$XDG_CACHE_HOME/model-endpoints/venvs/` (default `~/.cache/...`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import yaml

from local_runtime.errors import LocalRunError

__all__ = [
    "PROJECT_FILE",
    "PROJECT_RUNS_DIR",
    "RUNS_DIR_ENV",
    "check_stack_name",
    "find_project_dir",
    "run_dir_for",
    "runs_root",
    "stack_config_path",
    "venv_cache_dir",
]

RUNS_DIR_ENV = "MODEL_ENDPOINTS_RUN_DIR"  # holds one directory per stack, instead of the project's
PROJECT_RUNS_DIR = Path(".model-endpoints") / "runs"
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


def _stack_config_dir(project_dir: Path) -> Path:
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
    path = _stack_config_dir(project_dir) / f"Pulumi.{check_stack_name(stack)}.yaml"
    if not path.is_file():
        raise LocalRunError(
            f"stack {stack!r} has no config file {path}; pass one with --config FILE"
        )
    return path


def runs_root(project_dir: Path | None, environ: Mapping[str, str] | None = None) -> Path:
    """The directory holding one run directory per stack."""
    environ = os.environ if environ is None else environ
    configured = environ.get(RUNS_DIR_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    if project_dir is None:
        raise LocalRunError(
            f"no {PROJECT_FILE} in this directory or its parents, so no place for run files: run "
            f"from the project or set {RUNS_DIR_ENV}"
        )
    return project_dir / PROJECT_RUNS_DIR


def run_dir_for(stack: str, root: Path) -> Path:
    """The run directory of `stack` under `root`."""
    return root / check_stack_name(stack)


def venv_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/model-endpoints/venvs` (default `~/.cache/model-endpoints/venvs`)."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "model-endpoints" / "venvs"
