"""The status of a deployed stack's endpoint: its stack outputs (namespace, default version,
effective traffic, traffic revision) and the cluster as the thin adapter reads it (the routing
ConfigMap with the shift record the TrafficSplit keeps on its annotations, the router pods'
`/routing`, each version's Deployment), given to `rollout.status_derivation`.

A call that cannot reach the cluster at all (no kubeconfig, the API server unreachable, the
credentials refused) fails the command; one object that cannot be read (a pod that does not
answer, a Deployment not found or not readable) becomes part of the status. Without the routing
ConfigMap (a release from before it), the written table is the outputs' own, as revision
`traffic_revision`. The outputs' `retained_properties` and `declared_replicas` (absent in stacks
deployed before them: nothing retained, nothing declared shown) let the status show a retained
live value beside the declared one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cli.routing_table_files import written_table
from credentials.endpoint_outputs import endpoint_outputs
from credentials.stack_outputs import StackOutputError
from kube_adapter import (
    ClusterAdapter,
    ClusterError,
    ConfigMapData,
    KubeconfigError,
    NotFoundError,
    RouterPod,
    UnauthorizedError,
    UnreachableError,
    routing_config_map_name,
)
from kube_adapter.names import version_deployment_name
from rollout.endpoint_status import EndpointStatus
from rollout.shift_annotations import read_shift_annotations
from rollout.status_derivation import (
    ReplicaCounts,
    RouterReport,
    StatusInputs,
    WrittenTable,
    derive_endpoint_status,
)
from specification.routing import RoutingError, RoutingTable, share_steps

__all__ = ["EFFECTIVE_TRAFFIC", "read_stack_status"]

EFFECTIVE_TRAFFIC = "effective_traffic"
# errors after which no other call can succeed: the command fails with the adapter's message
_FATAL = (KubeconfigError, UnreachableError, UnauthorizedError)


def _field(fields: Mapping[str, Any], name: str, kind: type, endpoint: str) -> Any:
    value = fields.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise StackOutputError(
            f"the stack's outputs lack endpoints.{endpoint}.{name}: has `pulumi up` run with "
            "this release of model-endpoints?"
        )
    return value


def _revision(fields: Mapping[str, Any], endpoint: str) -> int:
    """`traffic_revision`: a whole number (JSON may carry it as `3.0`)."""
    value = fields.get("traffic_revision")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return int(_field(fields, "traffic_revision", int, endpoint))


def _desired(outputs: Mapping[str, Any], endpoint: str, default: str) -> RoutingTable:
    """The table of the outputs' `effective_traffic.<endpoint>` (percent per version)."""
    exported = outputs.get(EFFECTIVE_TRAFFIC)
    traffic = exported.get(endpoint) if isinstance(exported, Mapping) else None
    if not isinstance(traffic, Mapping) or not traffic:
        raise StackOutputError(f"the stack's outputs lack {EFFECTIVE_TRAFFIC}.{endpoint}")
    try:
        steps = {name: share_steps(share) for name, share in traffic.items()}
        return RoutingTable(steps, default)
    except (ValueError, RoutingError) as error:
        raise StackOutputError(
            f"{EFFECTIVE_TRAFFIC}.{endpoint} is no routing table: {error}"
        ) from None


def _routing_config_map(
    adapter: ClusterAdapter, namespace: str, endpoint: str
) -> ConfigMapData | None | ClusterError:
    """The routing ConfigMap; None when it does not exist; the error when it cannot be read."""
    try:
        return adapter.read_config_map(namespace, routing_config_map_name(endpoint))
    except NotFoundError:
        return None
    except _FATAL:
        raise
    except ClusterError as error:
        return error


def _written(
    found: ConfigMapData | None | ClusterError, desired: RoutingTable, revision: int
) -> WrittenTable | None:
    if found is None:
        return WrittenTable(revision, desired.traffic)
    if isinstance(found, ClusterError):
        return None
    if not found.data:  # declared, never written: the routers were rendered from the outputs
        return WrittenTable(revision, desired.traffic)
    try:
        return written_table(found.data)
    except ValueError:
        return None


def _router(adapter: ClusterAdapter, namespace: str, pod: RouterPod) -> RouterReport:
    if pod.phase != "Running":
        return RouterReport(pod.name, False, error=f"pod is {pod.phase}")
    try:
        answer = adapter.read_router_routing(namespace, pod.name)
    except _FATAL:
        raise
    except ClusterError as failed:
        return RouterReport(pod.name, False, error=str(failed))
    return RouterReport.from_answer(pod.name, answer)


def _replicas(
    adapter: ClusterAdapter, namespace: str, endpoint: str, version: str, declared: int | None
) -> ReplicaCounts:
    """Desired: the Deployment's `spec.replicas` (the autoscaler's choice, or a retained live
    count); current: ready; declared: the stack's `num_replicas`."""
    name = version_deployment_name(endpoint, version)
    try:
        found = adapter.read_deployment_replicas(namespace, name)
    except _FATAL:
        raise
    except ClusterError as error:
        return ReplicaCounts(None, None, problem=str(error), declared=declared)
    return ReplicaCounts(found.desired, found.ready, declared=declared)


def _retained(fields: Mapping[str, Any]) -> tuple[str, ...]:
    """The outputs' `retained_properties` (an endpoint deployed before them retains nothing)."""
    value = fields.get("retained_properties")
    if not isinstance(value, list):
        return ()
    return tuple(kind for kind in value if kind in ("DesiredInstanceCount", "DesiredWeight"))


def _declared_replicas(fields: Mapping[str, Any]) -> dict[str, int]:
    """The outputs' `declared_replicas` (`{version: num_replicas}`), whole numbers only."""
    value = fields.get("declared_replicas")
    if not isinstance(value, Mapping):
        return {}
    return {
        str(name): int(count)
        for name, count in value.items()
        if isinstance(count, int | float) and not isinstance(count, bool) and float(count).is_integer()
    }


def read_stack_status(
    outputs: Mapping[str, Any],
    endpoint: str,
    adapter: ClusterAdapter,
    now: datetime | None = None,
) -> EndpointStatus:
    """The status of `endpoint` of the deployed stack whose outputs are `outputs` (`now`, the
    wall clock, decides whether a recorded shift outlived its deadline)."""
    fields = endpoint_outputs(outputs, endpoint)
    namespace = _field(fields, "namespace", str, endpoint)
    default = _field(fields, "default_version", str, endpoint)
    revision = _revision(fields, endpoint)
    desired = _desired(outputs, endpoint, default)
    config_map = _routing_config_map(adapter, namespace, endpoint)
    written = _written(config_map, desired, revision)
    shift, last_failure = (
        read_shift_annotations(config_map.annotations, now or datetime.now(UTC))
        if isinstance(config_map, ConfigMapData)
        else (None, None)
    )
    pods = [pod for pod in adapter.list_router_pods(namespace, endpoint) if not pod.terminating]
    declared = _declared_replicas(fields)
    inputs = StatusInputs(
        endpoint=endpoint,
        desired=desired,
        written=written,
        routers=tuple(_router(adapter, namespace, pod) for pod in pods),
        replicas={
            v: _replicas(adapter, namespace, endpoint, v, declared.get(v)) for v in desired.versions
        },
        shift=shift,
        last_failure=last_failure,
        creating=bool(pods) and all(pod.phase == "Pending" for pod in pods),
        retained=_retained(fields),
    )
    return derive_endpoint_status(inputs)
