"""Which local run a command means: the one of `--stack`, or the only one there is."""

from __future__ import annotations

from pathlib import Path

from local_runtime.errors import LocalRunError, NotRunningError
from local_runtime.project_files import check_stack_name, find_project_dir
from local_runtime.run_directory import RunLayout, run_dir_for, runs_root

__all__ = ["layout_for", "runs_directory", "select_run"]


def runs_directory() -> Path:
    """Where run directories live: `$MODEL_ENDPOINTS_RUN_DIR`, else the project's."""
    return runs_root(find_project_dir())


def layout_for(stack: str) -> RunLayout:
    return RunLayout(run_dir_for(check_stack_name(stack), runs_directory()))


def select_run(stack: str | None) -> tuple[str, RunLayout]:
    """`(stack, layout)` of `stack`'s run, or of the only run when `stack` is None."""
    if stack is not None:
        return stack, layout_for(stack)
    root = runs_directory()
    found = sorted(state.parent.name for state in root.glob("*/state.json"))
    if not found:
        raise NotRunningError(
            f"no stack is running locally (nothing in {root}); "
            "`model-endpoints local up --stack <stack>` starts one"
        )
    if len(found) > 1:
        raise LocalRunError(
            f"several stacks run locally ({', '.join(found)}): choose one with --stack"
        )
    return found[0], RunLayout(root / found[0])
