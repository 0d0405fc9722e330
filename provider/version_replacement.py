"""A version's blue/green replacement in a cluster, inside `pulumi up` (the TrafficSplit's half).

The sequence, for version `v` of endpoint `e` whose serving definition changed under a policy:

1. the TrafficSplit's update (this module) creates the green Service and Deployment
   `e-v-green` (the version's new pod template, `components.manifests.green`) through
   `kube_adapter`, sized like blue (the declared pods, or more if blue runs more), and waits until
   every green pod is ready;
2. it walks `v`'s share from `v` to `v_green` with the step engine: the policy's steps, bakes,
   alarms (read on `v_green`, the entry gaining share), termination wait and deadline, through the
   routers' `be_v_green` backend, which answers as `v`;
3. the version's Deployment (Pulumi's, which depends on the TrafficSplit) then rolls in place to
   the new definition while green serves all of `v`'s traffic (only pinned requests reach blue);
4. the VersionSettle resource (`provider.version_settle`), after that Deployment, folds `v_green`
   back into `v` in one step and deletes green.

On a breach, the deadline, or a green that never gets ready, the starting table is put back,
green is deleted, and `up` fails with the reason: the Deployment is not touched (it depends on
the TrafficSplit), so blue still runs the old definition. A killed `up` leaves green and perhaps
a table with `v_green`: the next `up` finds the digest still changed, applies green again and
walks from the table the routers run.

Nothing happens when the routing ConfigMap does not exist yet, and a router that has no
`be_v_green` backend (one whose configuration predates the policy: the Router rolls with this
`up`) makes the version roll in place once, said in a line of the `up`'s output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from kube_adapter import ClusterAdapter, ClusterCredentials, ClusterError
from kube_adapter.names import version_deployment_name
from provider.cluster_routers import ClusterRouters, config_map_revision
from provider.replacement_rules import VersionServing
from provider.shift_log import progress_printer, write_line
from provider.split_plan import planned_replacement
from provider.split_rules import TrafficSplitInputs
from provider.split_walk import TrafficShiftError, walk_tables
from rollout import Clock, PlannedStep, ShiftEvent, ShiftPolicy, SystemClock
from rollout.replacement import green_shares, live_table, settled_table
from router.names import green_target, target_backend
from router_agent.routing_dir import SPLIT_MAP_FILE
from router_agent.split_table import RoutingTableError, SplitTable, parse_split_map
from specification.routing import RoutingTable

__all__ = ["GREEN_POLL_SECONDS", "GreenNotReady", "delete_green", "replace_version", "read_live_table"]

GREEN_POLL_SECONDS = 2.0  # how often green's readiness is read while it starts


class GreenNotReady(RuntimeError):
    """Green's pods did not all become ready (in time, or the rollout's progress deadline)."""


def read_live_table(
    routers: ClusterRouters, versions: list[str], default_version: str, control_version: str | None
) -> tuple[RoutingTable, int] | None:
    """The table the routing ConfigMap holds (with any `v_green` entry) and its revision; None
    when there is no ConfigMap. Raises TrafficShiftError when it cannot be read or parsed."""
    try:
        current = routers.read_routing()
    except ClusterError as error:
        raise TrafficShiftError(f"cannot read the routing ConfigMap '{routers.config_map_name}': {error}") from None
    if current is None:
        return None
    try:
        entries = parse_split_map(current.data.get(SPLIT_MAP_FILE, ""))
        table = live_table(SplitTable(entries=entries, revision=0).buckets, versions, default_version, control_version)
    except (RoutingTableError, ValueError) as error:
        raise TrafficShiftError(
            f"the routing ConfigMap '{routers.config_map_name}' holds a table this split cannot "
            f"read ({error}), so nothing was moved"
        ) from None
    return table, config_map_revision(current) or 0


def _routers_without(routers: ClusterRouters, backend: str) -> list[str]:
    """The live router pods whose agent does not report `backend` among HAProxy's."""
    missing = []
    for pod in routers.live_pods():
        try:
            answer = routers.adapter.read_router_routing(routers.namespace, pod)
        except ClusterError:
            missing.append(pod)
            continue
        backends = answer.get("backends")
        if not isinstance(backends, list) or backend not in backends:
            missing.append(pod)
    return missing


def delete_green(adapter: ClusterAdapter, namespace: str, name: str) -> list[str]:
    """Delete a version's green Deployment and Service `name` (both are named alike); what was
    there to delete, as `Kind/name`."""
    deleted = []
    if adapter.delete_deployment(namespace, name):
        deleted.append(f"Deployment/{name}")
    if adapter.delete_service(namespace, name):
        deleted.append(f"Service/{name}")
    return deleted


def _start_green(
    adapter: ClusterAdapter,
    serving: VersionServing,
    replicas: int,
    deadline: float,
    clock: Clock,
) -> None:
    """Apply green's Service and Deployment with `replicas` pods and wait until all are ready;
    raises GreenNotReady at `deadline` or when its rollout's progress deadline passed."""
    manifest: dict[str, Any] = {
        **serving.green_deployment,
        "spec": {**serving.green_deployment["spec"], "replicas": replicas},
    }
    namespace, name = manifest["metadata"]["namespace"], manifest["metadata"]["name"]
    adapter.apply_service(serving.green_service)
    adapter.apply_deployment(manifest)
    write_line(f"green Deployment '{name}': {replicas} pod{'s' if replicas != 1 else ''} starting")
    _wait_until_ready(adapter, namespace, name, replicas, deadline, clock)


def _wait_until_ready(
    adapter: ClusterAdapter, namespace: str, name: str, replicas: int, deadline: float, clock: Clock
) -> None:
    """Until the Deployment's rollout is complete with `replicas` ready pods; GreenNotReady at
    `deadline` or past its progress deadline."""
    while True:
        rollout = adapter.read_deployment_rollout(namespace, name)
        if rollout.complete and rollout.replicas.ready >= replicas:
            write_line(f"green Deployment '{name}': {rollout.replicas.ready} of {replicas} pods ready")
            return
        if rollout.progress_deadline_exceeded:
            raise GreenNotReady(
                f"green Deployment '{name}' passed its progress deadline with {rollout.replicas.ready} of "
                f"{replicas} pods ready: {rollout.progress_message or 'ProgressDeadlineExceeded'}"
            )
        if clock.now() >= deadline:
            raise GreenNotReady(
                f"green Deployment '{name}' had {rollout.replicas.ready} of {replicas} pods ready at the "
                "policy's maximum_execution_timeout_in_seconds"
            )
        clock.sleep(GREEN_POLL_SECONDS)


def replace_version(
    old: TrafficSplitInputs,
    new: TrafficSplitInputs,
    version: str,
    start_revision: int,
    *,
    clock: Clock | None = None,
    on_event: Callable[[ShiftEvent], None] | None = None,
) -> int | None:
    """Start `version`'s green pods and walk its share onto them (the sequence above); the
    revision every router reports at the end, or None when nothing moved (no routing ConfigMap,
    or routers without the green backend: the version rolls in place). Raises TrafficShiftError,
    with green deleted and blue's table live, when the replacement failed."""
    assert new.endpoint is not None and new.namespace is not None and new.versions_serving is not None
    serving = new.versions_serving[version]
    who = f"endpoint {new.endpoint!r}"
    say = on_event or progress_printer(who)
    adapter = ClusterAdapter(ClusterCredentials(new.kubeconfig, new.kube_context))
    routers = ClusterRouters(adapter, new.namespace, new.endpoint)
    read = read_live_table(routers, list(new.shares), new.default_version, new.control_version)
    if read is None:
        write_line(f"{who}: no routing ConfigMap yet, so version {version!r} rolls in place")
        return None
    live, live_revision = read
    green_backend = target_backend(green_target(version))
    try:
        lacking = _routers_without(routers, green_backend)
    except ClusterError as error:
        raise TrafficShiftError(f"{who}: cannot list the router pods: {error}") from None
    if lacking:
        write_line(
            f"{who}: version {version!r} rolls in place this once: router pod"
            f"{'s' if len(lacking) != 1 else ''} {', '.join(lacking)} run a configuration "
            f"without its green backend {green_backend} (the routers get it with this update); "
            "its next change of definition is replaced blue/green"
        )
        return None

    clock = clock or SystemClock()
    started = clock.now()
    revision = max(start_revision, live_revision)
    # from the table the routers run: the recorded one (what the preview planned from), or one
    # a killed `up` left with part of the version's share on green already
    try:
        plan = planned_replacement(old, new, version, live)
    except ValueError as error:
        raise TrafficShiftError(f"{who}: version {version!r} was not replaced: {error}") from None
    policy = ShiftPolicy(
        termination_wait_seconds=plan.termination_wait_seconds,
        max_execution_seconds=plan.max_execution_seconds,
    )
    deadline = started + policy.max_execution_seconds
    namespace = new.namespace
    blue_name = version_deployment_name(new.endpoint, version)
    green_name = serving.green_deployment["metadata"]["name"]
    try:
        blue = adapter.read_deployment_replicas(namespace, blue_name)
        # the last step's green is as big as blue runs (an autoscaler may have given it more)
        pods = (*plan.green_pods[:-1], max(plan.green_pods[-1], blue.desired))
        count = len(plan.steps)
        write_line(
            f"{who}: replacing version {version!r} with new pods (green) beside the running ones: "
            f"{pods[0]} to start{f', growing to {pods[-1]}' if pods[-1] > pods[0] else ''}, then "
            f"{count} step{'s' if count != 1 else ''} move its traffic"
        )
        _start_green(adapter, serving, pods[0], deadline, clock)
    except (GreenNotReady, ClusterError) as error:
        _give_up(adapter, routers, serving, live, revision, clock, new)
        raise TrafficShiftError(
            f"{who}: version {version!r} was not replaced: {error}; green was deleted and the "
            "version still runs its previous definition"
        ) from None

    def grow_green(k: int, _step: PlannedStep) -> None:
        """Before step k: green has the pods the step needs, all ready (raises: rolled back)."""
        if k == 0 or pods[k] <= pods[k - 1]:
            return
        adapter.scale_deployment(namespace, green_name, pods[k])
        write_line(f"green Deployment '{green_name}': growing to {pods[k]} pods for step {k + 1}")
        _wait_until_ready(adapter, namespace, green_name, pods[k], deadline, clock)

    remaining = max(deadline - clock.now(), 1.0)
    try:
        return walk_tables(
            new,
            adapter,
            routers,
            plan.tables.start,
            list(plan.steps),
            revision,
            clock=clock,
            on_event=say,
            policy=replace(policy, max_execution_seconds=remaining),
            before_step=grow_green,
        )
    except TrafficShiftError as failed:
        if not failed.rolled_back:  # some routers may still send green requests: it stays
            raise TrafficShiftError(
                f"{failed}; version {version!r}'s green pods ({green_name}) were kept, since "
                "routers may still send them requests; the next `pulumi up` finishes or undoes "
                "the replacement from the table the routers run"
            ) from None
        deleted = _delete_quietly(adapter, serving)
        raise TrafficShiftError(
            f"{failed}; version {version!r} was not replaced: its green pods were deleted "
            f"({', '.join(deleted) or 'already gone'}) and it still runs its previous definition",
            rolled_back=True,
        ) from None


def _delete_quietly(adapter: ClusterAdapter, serving: VersionServing) -> list[str]:
    metadata = serving.green_deployment["metadata"]
    try:
        return delete_green(adapter, metadata["namespace"], metadata["name"])
    except ClusterError as error:
        write_line(f"could not delete the green pods: {error}; the next `pulumi up` deletes them")
        return []


def _give_up(
    adapter: ClusterAdapter,
    routers: ClusterRouters,
    serving: VersionServing,
    live: RoutingTable,
    revision: int,
    clock: Clock,
    new: TrafficSplitInputs,
) -> None:
    """Green never served in this `up`: put back on blue any share an interrupted replacement
    left on green, then delete green."""
    if any(green_shares(live).values()):
        walk_tables(
            new,
            adapter,
            routers,
            live,
            [PlannedStep(settled_table(live), 0, 100.0)],
            revision,
            clock=clock,
            on_event=progress_printer(f"endpoint {new.endpoint!r}"),
            policy=ShiftPolicy(),
        )
    _delete_quietly(adapter, serving)
