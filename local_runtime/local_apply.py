"""`local apply`: move a running local run's traffic to what its stack config says now, each
endpoint under its `deployment_config`, as `pulumi up` moves a cluster's, and replace versions
whose serving definition changed blue/green under the same policy (`version_update`).

Under the run's apply lock (`apply_lock`), the config is read again with the loader `local up`
uses and compared with the spec recorded in the run record: a change beyond routing is refused
before anything is touched (`routing_change`). Then per endpoint, in config order:

`EndpointShift` (`endpoint_shift`) rolls back a shift left behind by a `local apply` that was
killed (below), reads the table the routers serve now, and walks the steps to the config's table
with the step engine, the run record following every step; on success the record holds the new
table, its revision and the new spec. A rollback stops the apply: later endpoints are left as
they are, and `ShiftFailedError` carries the engine's `ShiftRolledBack` (the message `up` gives).

An interrupted shift is rolled back, never completed. Its process died during a step or a bake,
so the step it was on was never judged by its alarms: the one table known good is the shift's
starting table. The record names it, and names a revision at least as high as any a router may
hold (it is written before the routers are), so the next apply writes the starting table with a
newer revision to every router, waits until every router reports it, and only then plans its own
shift, from that table, with every bake again. Each router always serves a complete table (each
write is one atomic swap per routing directory); after the rollback they all serve the same one.
This is what the engine itself does when a shift is interrupted by Ctrl-C or SIGTERM; the next
apply does it for a shift whose process was killed outright.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from local_runtime.apply_events import ApplyEventSink, ApplyReport, EndpointOutcome
from local_runtime.apply_lock import apply_lock
from local_runtime.endpoint_shift import EndpointShift, ShiftTimings
from local_runtime.errors import LocalRunError, NotRunningError
from local_runtime.planner import code_digest, local_endpoint_spec
from local_runtime.routing_change import (
    RestartRequiredError,
    default_move_problem,
    serving_differences,
    stack_differences,
)
from local_runtime.run_directory import RunLayout
from local_runtime.run_record import RunState, read_state
from local_runtime.venvs import venv_cache_dir
from local_runtime.version_update import VersionReplacement
from rollout import Clock, ShiftFailed, SystemClock
from specification.endpoint import EndpointSpec
from specification.stack_config import LoadedStack, load_stack

__all__ = ["ApplyRequest", "ShiftFailedError", "apply_local_changes"]


@dataclass(frozen=True)
class ApplyRequest:
    """What `local apply` was asked to do, and the engine's local timings (`ShiftTimings`)."""

    stack: str
    config_file: Path
    run_dir: Path
    check_interval_seconds: float = 1.0
    poll_interval_seconds: float = 0.05
    rollback_timeout_seconds: float = 30.0
    clock: Clock = field(default_factory=SystemClock)
    cache_dir: Path = field(default_factory=venv_cache_dir)  # green replicas' virtualenvs

    @property
    def timings(self) -> ShiftTimings:
        return ShiftTimings(
            self.check_interval_seconds,
            self.poll_interval_seconds,
            self.rollback_timeout_seconds,
            self.clock,
        )


class ShiftFailedError(Exception):
    """A shift did not complete: `error` is the engine's `ShiftRolledBack` (or `RollbackFailed`),
    whose message is this one; `report` holds every endpoint reached, the failed one last."""

    def __init__(self, error: ShiftFailed, report: ApplyReport) -> None:
        super().__init__(str(error))
        self.error = error
        self.report = report


def _running_state(layout: RunLayout, stack: str) -> RunState:
    state = read_state(layout)
    if state is None:
        raise NotRunningError(
            f"stack {stack} is not running locally (no {layout.state_file}); "
            f"`model-endpoints local up --stack {stack}` starts it"
        )
    if state.status != "running":
        raise LocalRunError(
            f"the local run of stack {stack} is still starting (or its `local up` failed); "
            "wait for `local up` to finish, or see `model-endpoints local status`"
        )
    return state


def _default_moves(
    stack: str, old: Mapping[str, Mapping[str, Any]], new: Mapping[str, EndpointSpec]
) -> None:
    """Refuse a default that moves as `pulumi up` would refuse it to (`default_move_problem`)."""
    lines = []
    for name, spec in old.items():
        problem = default_move_problem(EndpointSpec.model_validate(spec), new[name])
        if problem is not None:
            lines.append(f"  {name}: default_version: {problem}")
    if lines:
        raise LocalRunError(
            f"the config of stack {stack} moves a default version as `pulumi up` would refuse "
            "to; nothing was changed:\n" + "\n".join(lines)
        )


@dataclass(frozen=True)
class EndpointChange:
    """An endpoint's new spec, and the versions whose serving definition changed (replaced
    blue/green, in name order, each with its differences)."""

    spec: EndpointSpec
    replaced: Mapping[str, list[str]] = field(default_factory=dict)


def _new_digests(loaded: LoadedStack, spec: EndpointSpec) -> dict[str, str]:
    """Each local version's entry script digest now; a script that cannot be read is left out
    (its content is not compared: a replacement needing it fails when it starts green)."""
    local = local_endpoint_spec(spec)
    if local is None:
        return {}
    digests: dict[str, str] = {}
    for version in local.versions:
        try:
            digests[version.name] = code_digest(loaded, local, version)
        except LocalRunError:
            continue
    return digests


def _replacements(
    stack: str,
    state: RunState,
    loaded: LoadedStack,
    old: Mapping[str, Mapping[str, Any]],
    new: Mapping[str, EndpointSpec],
) -> dict[str, dict[str, list[str]]]:
    """Per endpoint, the versions to replace blue/green; refused without a policy to do it."""
    found: dict[str, dict[str, list[str]]] = {}
    refused: list[str] = []
    for name, spec in new.items():
        changed = serving_differences(
            old[name],
            spec.model_dump(mode="json"),
            state.endpoints[name].code_digests,
            _new_digests(loaded, spec),
        )
        if not changed:
            continue
        config = spec.deployment_config
        if config is None or not config.guards_version_updates:
            refused += [f"{name}: {line}" for lines in changed.values() for line in lines]
            continue
        found[name] = changed
    if refused:
        raise RestartRequiredError(
            stack,
            [
                *refused,
                "(a version's serving definition is replaced blue/green under the endpoint's "
                "deployment_config.blue_green_update_policy, or in batches under a "
                "rolling_update_policy with alarms, which this endpoint lacks: add one to "
                "replace it without a restart)",
            ],
        )
    return found


def _targets(stack: str, state: RunState, loaded: LoadedStack) -> dict[str, EndpointChange]:
    """The new spec of every endpoint of the run, once the change is known to be routing or
    blue/green replacements only."""
    old: dict[str, dict[str, Any]] = {}
    for name, entry in state.endpoints.items():
        if entry.spec is None or entry.routing is None:
            raise LocalRunError(
                f"the local run of stack {stack} was started by an earlier model-endpoints that "
                "did not record its spec and routing, so `local apply` cannot compare the config "
                f"with it; restart it: `model-endpoints local down --stack {stack}` then "
                f"`model-endpoints local up --stack {stack}`"
            )
        old[name] = entry.spec
    specs = {spec.name: spec for spec in loaded.spec.endpoints}
    runnable = {n: s for n, s in specs.items() if n in old or local_endpoint_spec(s) is not None}
    new = {name: spec.model_dump(mode="json") for name, spec in runnable.items()}
    differences = stack_differences(old, new)
    if differences:
        raise RestartRequiredError(stack, differences)
    _default_moves(stack, old, runnable)
    targets = {name: runnable[name] for name in old}
    replaced = _replacements(stack, state, loaded, old, targets)
    return {name: EndpointChange(spec, replaced.get(name, {})) for name, spec in targets.items()}


def apply_local_changes(
    request: ApplyRequest, on_event: ApplyEventSink | None = None
) -> ApplyReport:
    """Apply the stack config's routing changes to its local run (see the module docstring).

    Returns what happened per endpoint. Raises RestartRequiredError (a change beyond routing:
    nothing touched), LocalRunError (not running, another apply running, a router that does not
    answer, ...), StackConfigError (a config that cannot be read or is invalid), or
    ShiftFailedError when a shift was rolled back (or even its rollback failed)."""
    layout = RunLayout(request.run_dir.resolve())
    _running_state(layout, request.stack)
    with apply_lock(layout, request.stack):
        state = _running_state(layout, request.stack)  # as it is now that no apply can change it
        loaded = load_stack(request.stack, request.config_file)
        targets = _targets(request.stack, state, loaded)
        outcomes: list[EndpointOutcome] = []
        for name, change in targets.items():
            recovered = _recover_replacement(
                request, layout, state, loaded, name, change.spec, on_event
            )
            versions: list[str | None] = [*change.replaced] or [None]
            for version in versions:
                endpoint = EndpointShift(
                    request.stack, request.timings, layout, state, name, change.spec, on_event
                )
                try:
                    if version is None:
                        outcome = endpoint.run()
                    else:
                        replacement = VersionReplacement(
                            loaded, endpoint, version, cache_dir=request.cache_dir
                        )
                        outcome = replacement.run()
                    if outcome.recovered is None and recovered is not None:
                        outcome = replace(outcome, recovered=recovered)
                        recovered = None
                    outcomes.append(outcome)
                except ShiftFailed as error:
                    failed = endpoint.failed(error)
                    report = ApplyReport(request.stack, (*outcomes, failed))
                    raise ShiftFailedError(error, report) from error
        return ApplyReport(request.stack, tuple(outcomes))


def _recover_replacement(
    request: ApplyRequest,
    layout: RunLayout,
    state: RunState,
    loaded: LoadedStack,
    name: str,
    spec: EndpointSpec,
    on_event: ApplyEventSink | None,
) -> int | None:
    """Undo a blue/green replacement of endpoint `name` left by a killed `local apply`; the
    revision its table was rolled back to, or None when there was none."""
    left = state.endpoints[name].replacement
    if not left:
        return None
    shift = EndpointShift(request.stack, request.timings, layout, state, name, spec, on_event)
    version = str(left.get("version"))
    VersionReplacement(loaded, shift, version, cache_dir=request.cache_dir).recover()
    return shift.recovered


