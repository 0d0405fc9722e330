"""Run the stack program (or any Pulumi function) under mocks with a given stack config.

This is how the project proves a whole stack without the Pulumi CLI: the same program `pulumi up`
runs, Pulumi's own runtime, and a monitor that records what the engine would receive.
"""

from __future__ import annotations

import asyncio
import json
import runpy
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.stack import Stack

from offline.recording import COMPUTED, Graph, RecordingMocks, RecordingMonitor
from specification.stack_config import PROJECT_NAME

__all__ = ["STACKS_DIR", "run_under_mocks", "run_stack"]

# The example stacks' directory (`stackConfigDir` in Pulumi.yaml); their config files are read
# with `specification.stack_config`, as every other caller reads a stack's config.
STACKS_DIR = Path(__file__).resolve().parent.parent / "stacks"


def _ensure_event_loop() -> None:
    """Pulumi's test runner takes the thread's current event loop; `asyncio.run` earlier in the
    same thread (a caller's own code, another test) leaves none set, so set a fresh one then."""
    try:
        asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        asyncio.set_event_loop(asyncio.new_event_loop())


def run_under_mocks(
    program: Callable[[], Any],
    config: Mapping[str, Any] | None = None,
    *,
    preview: bool = False,
    stack: str = "test",
) -> Graph:
    """Run `program` as a Pulumi program under mocks; return every registration it made.

    The graph's `exports` holds the stack outputs (`pulumi.export`), resolved, or COMPUTED
    where a preview does not know them; `secret_exports` the paths of those the engine would
    receive as secrets (`keys`, `endpoints.fraud.scoring_url`). Raises whatever
    the program raises (e.g. `pulumi.RunError` for a bad config).
    """
    _ensure_event_loop()
    mocks = RecordingMocks(preview=preview)
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT_NAME, stack=stack, preview=preview, monitor=monitor)
    pulumi.runtime.set_all_config(
        {key: value if isinstance(value, str) else json.dumps(value) for key, value in (config or {}).items()}
    )

    def program_and_exports() -> pulumi.Output[Any]:
        stack_resource = pulumi.runtime.get_root_resource()
        assert isinstance(stack_resource, Stack), stack_resource
        stack_resource.outputs.clear()  # the mocks keep one root stack across runs
        result = pulumi.Output.from_input(program())
        recorded = _record_into(
            monitor.graph.exports, dict(stack_resource.outputs), monitor.graph.secret_exports
        )
        return pulumi.Output.all(result, *recorded)

    pulumi.runtime.test(program_and_exports)()
    return monitor.graph


def _record_into(
    target: dict[str, Any], values: Mapping[str, Any], secrets: set[str], prefix: str = ""
) -> list[pulumi.Output[Any]]:
    """Resolve `values` into `target` leaf by leaf, as the engine shows stack outputs: a value a
    preview does not know stays COMPUTED without hiding its known siblings. The path of every
    leaf that is a secret output goes into `secrets`."""
    pending: list[pulumi.Output[Any]] = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            target[key] = {}
            pending += _record_into(target[key], value, secrets, f"{path}.")
        else:
            target[key] = COMPUTED
            output = pulumi.Output.from_input(value)
            pending.append(output.apply(partial(target.__setitem__, key)))
            secret: pulumi.Output[bool] = pulumi.Output.from_input(output.is_secret())
            pending.append(secret.apply(partial(_note_secret, secrets, path)))
    return pending


def _note_secret(secrets: set[str], path: str, is_secret: bool) -> None:
    if is_secret:
        secrets.add(path)


def run_stack(
    config: Mapping[str, Any], *, preview: bool = False, stacks_dir: Path = STACKS_DIR
) -> Graph:
    """Run `stacks/__main__.py` with `config` (as in a `Pulumi.<stack>.yaml`) under mocks."""
    program = stacks_dir / "__main__.py"

    def run_main() -> None:
        runpy.run_path(str(program), run_name="__main__")  # its globals are not an output

    return run_under_mocks(run_main, config, preview=preview)
