"""A TrafficSplit change walked through the endpoint's live routers, inside `pulumi up`.

When the routing changes and the endpoint's routing ConfigMap exists, `walk_shift` runs the step
engine (`rollout.run_shift`) over the planned steps: each step's table written into the ConfigMap
as a new revision, every live router's agent reporting it, a bake with the alarms read (the
routers' own counters through the pod proxy, PromQL from `prometheus_url`), and on a breach or
the policy's `maximum_execution_timeout_in_seconds` the starting table put back. The engine's
deadline is the only bound: the SDK's provider host ignores custom timeouts and `Cancel`.

Nothing is written when the split names no endpoint, or when the ConfigMap does not exist: the
first `up` after upgrading from a release without live routing, or a Router not created yet,
which then creates its ConfigMap from the split's new outputs. A failure raises
`TrafficShiftError` with the one message `up` fails with; the dynamic provider then keeps the
split's previous outputs, which are the table the rollback put back. The shift in flight and
how the last one failed are recorded on the ConfigMap's annotations (`shift_annotations`), where
`model-endpoints describe` reads them.
"""

from __future__ import annotations

from collections.abc import Callable

from kube_adapter import ClusterAdapter, ClusterCredentials, ClusterError
from provider.cluster_routers import ClusterRouters, config_map_revision
from provider.shift_annotations import ClusterShiftRecorder
from provider.shift_log import progress_printer, write_line
from provider.shift_settings import rollback_alarms
from provider.split_plan import planned_shift
from provider.split_rules import TrafficSplitInputs, routing
from rollout import (
    BeforeStep,
    Clock,
    PlannedStep,
    PrometheusQuery,
    RouterMetricsStats,
    ShiftEvent,
    ShiftFailed,
    ShiftPolicy,
    ShiftRolledBack,
    SystemClock,
    run_shift,
)
from specification.routing import RoutingTable

__all__ = ["RECORD_GRACE_SECONDS", "TrafficShiftError", "walk_shift", "walk_tables"]

# Beyond the engine's deadline and rollback time, before a shift record left behind reads as a
# shift whose `up` was killed (the API calls of a rollback take time of their own).
RECORD_GRACE_SECONDS = 120.0


class TrafficShiftError(RuntimeError):
    """A routing change that did not complete on the live routers; the message says why, what
    moved, and what the routers run now. `rolled_back`: every router serves the starting table
    again (False: nothing was written, or the rollback itself is unconfirmed)."""

    def __init__(self, message: str, *, rolled_back: bool = False) -> None:
        super().__init__(message)
        self.rolled_back = rolled_back


def walk_shift(
    old: TrafficSplitInputs,
    new: TrafficSplitInputs,
    start_revision: int,
    *,
    clock: Clock | None = None,
    on_event: Callable[[ShiftEvent], None] | None = None,
) -> int | None:
    """Walk the change from `old` (live as `start_revision`) to `new`; the revision every router
    reports at the end, or None when nothing was written (no endpoint, no routing ConfigMap).

    Raises `TrafficShiftError` when the ConfigMap cannot be read (nothing written) or the shift
    failed (rolled back, or worse: the message says)."""
    if new.endpoint is None or new.namespace is None:
        return None
    say = on_event or progress_printer(f"endpoint {new.endpoint!r}")
    adapter = ClusterAdapter(ClusterCredentials(new.kubeconfig, new.kube_context))
    routers = ClusterRouters(adapter, new.namespace, new.endpoint)
    where = f"ConfigMap '{routers.config_map_name}' in namespace '{new.namespace}'"
    try:
        live = routers.read_routing()
    except ClusterError as error:
        raise TrafficShiftError(
            f"cannot read the routing {where}, so the routers were not moved and nothing was "
            f"written: {error}"
        ) from None
    if live is None:
        write_line(
            f"endpoint {new.endpoint!r}: no routing {where} yet, so nothing was written: the "
            "Router creates it with this table"
        )
        return None
    revision = max(start_revision, config_map_revision(live) or 0)
    return walk_tables(
        new, adapter, routers, routing(old), planned_shift(old, new), revision, clock=clock, on_event=say
    )


def walk_tables(
    new: TrafficSplitInputs,
    adapter: ClusterAdapter,
    routers: ClusterRouters,
    start: RoutingTable,
    steps: list[PlannedStep],
    revision: int,
    *,
    clock: Clock | None = None,
    on_event: Callable[[ShiftEvent], None],
    policy: ShiftPolicy | None = None,
    before_step: BeforeStep | None = None,
) -> int:
    """Walk `steps` from `start` (live as `revision`) through `routers` with `new`'s policy (or
    `policy`), alarms and Prometheus, recording the shift on the routing ConfigMap (`before_step`
    as `run_shift` takes it); the revision every router reports at the end. Raises
    `TrafficShiftError` when it failed."""
    assert new.endpoint is not None and new.namespace is not None
    policy = policy or ShiftPolicy.from_spec(new.blue_green_update_policy)
    write_line(
        f"endpoint {new.endpoint!r}: walking {len(steps)} step{'s' if len(steps) != 1 else ''} "
        f"from revision {revision} through the routers of namespace '{new.namespace}' "
        f"(deadline {policy.max_execution_seconds:g} s)"
    )
    clock = clock or SystemClock()
    stats = RouterMetricsStats(routers.scrape_metrics, now=clock.now, latency=routers.read_latency)
    prom = PrometheusQuery(new.prometheus_url) if new.prometheus_url else None
    record = ClusterShiftRecorder(adapter, new.namespace, routers.config_map_name, write_line)
    record.begin(
        start,
        steps,
        policy.termination_wait_seconds,
        policy.max_execution_seconds + policy.rollback_timeout_seconds + RECORD_GRACE_SECONDS,
    )

    def on_step_event(event: ShiftEvent) -> None:
        on_event(event)
        record.on_event(event)

    try:
        result = run_shift(
            start,
            steps,
            start_revision=revision,
            routers=routers,
            clock=clock,
            policy=policy,
            alarms=rollback_alarms(new.alarms),
            stats=stats,
            prom=prom,
            on_event=on_step_event,
            before_step=before_step,
        )
    except ShiftFailed as failed:
        record.failed(failed)
        raise TrafficShiftError(str(failed), rolled_back=isinstance(failed, ShiftRolledBack)) from None
    record.completed()
    return result.revision

