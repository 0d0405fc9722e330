"""The status of a local run's endpoints: what `local status` reads (the run record, each
process's liveness, the router's metrics and its `/routing`), the table in the routing directory
and the shift records, given to `rollout.status_derivation`.

Shift records: a driver of shifts in a local run (`local apply`) keeps, per endpoint in the run
record (`state.json`), `endpoints.<name>.shift` (`ShiftProgress.to_json()`, while a shift runs)
and `endpoints.<name>.last_failure` (`LastFailure.to_json()`, after a shift failed); both absent
or null otherwise. A record that is there but malformed is reported, not ignored.

Desired weights are the run's table, except for an endpoint whose recorded spec retains weights:
there `local apply` keeps the live table, so desired is the spec's declared table and the
`Retained` condition shows the difference.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cli.routing_table_files import read_routing_directory
from local_runtime.errors import LocalRunError
from local_runtime.planner import local_endpoint_spec
from local_runtime.run_directory import RunLayout
from local_runtime.status_report import EndpointStatus as RunEndpoint
from local_runtime.status_report import read_run_status
from rollout.endpoint_status import EndpointStatus
from rollout.shift_progress import LastFailure, ShiftProgress
from rollout.status_derivation import (
    ReplicaCounts,
    RouterReport,
    StatusInputs,
    WrittenTable,
    derive_endpoint_status,
)
from specification.endpoint import EndpointSpec
from specification.routing import RoutingError, RoutingTable, share_steps

__all__ = ["LAST_FAILURE_RECORD", "SHIFT_RECORD", "read_local_statuses"]

SHIFT_RECORD = "shift"
LAST_FAILURE_RECORD = "last_failure"


def _records(layout: RunLayout) -> dict[str, Any]:
    """`{endpoint: its entry in state.json}`, raw, for the shift records."""
    try:
        document = json.loads(layout.state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise LocalRunError(f"cannot read {layout.state_file}: {error}") from None
    endpoints = document.get("endpoints") if isinstance(document, dict) else None
    return endpoints if isinstance(endpoints, dict) else {}


def _shift_records(
    layout: RunLayout, entry: Any, endpoint: str
) -> tuple[ShiftProgress | None, LastFailure | None]:
    entry = entry if isinstance(entry, dict) else {}
    shift, failure = entry.get(SHIFT_RECORD), entry.get(LAST_FAILURE_RECORD)
    where = f"{layout.state_file}: endpoints.{endpoint}"
    try:
        progress = None if shift is None else ShiftProgress.from_json(shift)
    except ValueError as error:
        raise LocalRunError(f"{where}.{SHIFT_RECORD} is malformed: {error}") from None
    try:
        last = None if failure is None else LastFailure.from_json(failure)
    except ValueError as error:
        raise LocalRunError(f"{where}.{LAST_FAILURE_RECORD} is malformed: {error}") from None
    return progress, last


def _desired(endpoint: RunEndpoint, stack: str) -> RoutingTable:
    default = next((v.name for v in endpoint.versions if v.is_default), "")
    try:
        steps = {version.name: share_steps(version.share) for version in endpoint.versions}
        return RoutingTable(steps, default)
    except (ValueError, RoutingError) as error:
        raise LocalRunError(
            f"the local run of stack {stack} records no valid table for endpoint "
            f"{endpoint.name} ({error}); `model-endpoints local down --stack {stack}` and up again"
        ) from None


def _retention(entry: Any) -> tuple[RoutingTable | None, tuple[str, ...]]:
    """The declared table of an endpoint whose recorded spec retains weights (None otherwise),
    and the properties it retains; a spec that no longer parses retains nothing."""
    spec = entry.get("spec") if isinstance(entry, dict) else None
    try:
        endpoint = EndpointSpec.model_validate(spec) if isinstance(spec, dict) else None
    except ValueError:
        return None, ()
    if endpoint is None or not endpoint.retained_properties:
        return None, ()
    local = local_endpoint_spec(endpoint)
    declared = local.routing if local is not None and endpoint.retains_weights else None
    return declared, endpoint.retained_properties


def _written(layout: RunLayout, endpoint: str) -> WrittenTable | None:
    """The routing directory's table; None when none is written or it cannot be read (the
    router's own report then says what it serves)."""
    try:
        return read_routing_directory(layout.routing_dir(endpoint))
    except (OSError, ValueError):
        return None


def _router(endpoint: RunEndpoint) -> RouterReport:
    name = f"{endpoint.name}-router"
    if not endpoint.router_running:
        return RouterReport(name, False, error="its process is not running")
    routing = endpoint.routing
    if routing is None:
        return RouterReport(name, False, error="no answer on /routing")
    return RouterReport.from_answer(name, routing)


def _replicas(endpoint: RunEndpoint) -> dict[str, ReplicaCounts]:
    """Desired: the replicas `up` started; current: those alive and, when the router answers,
    in its rotation; exited: those whose process is gone (a local replica never comes back)."""
    counts = {}
    for version in endpoint.versions:
        current = version.replicas_running
        if version.replicas_in_rotation is not None:
            current = min(current, version.replicas_in_rotation)
        exited = version.replicas - version.replicas_running
        counts[version.name] = ReplicaCounts(version.replicas, current, exited)
    return counts


def read_local_statuses(
    layout: RunLayout, stack: str, endpoint: str | None = None
) -> Sequence[EndpointStatus]:
    """The status of each endpoint of `stack`'s local run (only `endpoint`'s when given);
    NotRunningError when there is no run, LocalRunError for an endpoint it does not have."""
    report = read_run_status(layout, stack)
    endpoints = report.endpoints
    if endpoint is not None:
        endpoints = tuple(e for e in endpoints if e.name == endpoint)
        if not endpoints:
            names = ", ".join(e.name for e in report.endpoints)
            raise LocalRunError(
                f"the local run of stack {stack} has no endpoint {endpoint!r} (endpoints: {names})"
            )
    records = _records(layout)
    statuses = []
    for run_endpoint in endpoints:
        shift, failure = _shift_records(layout, records.get(run_endpoint.name), run_endpoint.name)
        declared, retained = _retention(records.get(run_endpoint.name))
        inputs = StatusInputs(
            endpoint=run_endpoint.name,
            desired=declared or _desired(run_endpoint, stack),
            written=_written(layout, run_endpoint.name),
            routers=(_router(run_endpoint),),
            replicas=_replicas(run_endpoint),
            shift=shift,
            last_failure=failure,
            creating=report.status == "starting",
            created_at=report.started_at,
            retained=retained,
        )
        statuses.append(derive_endpoint_status(inputs))
    return statuses
