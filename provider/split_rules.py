"""The traffic split of one endpoint: its inputs, and the rules a change must follow.

Inputs are keyed by version name (`shares: {versiona: 90, versionb: 10}`) so the engine's own
input diff reads `~ shares: { ~ versionb: 10 => 40 }` in `pulumi preview`. The table and its
rules are the spec's `routing_table` (remainder to the default, integer 0.01% steps, a known
default and control); this module adds only what needs the previous state: traffic drains from
a version before it is removed, the default stays where it was unless `is_default` moves it, and
(with live routing) a new version joins at 0%.

The shift settings (the endpoint and namespace whose routers the split moves, the policy, alarms,
Prometheus and the cluster credentials) are optional inputs: state written before they existed
still parses, and a split without them behaves as before (its table reaches the routers through
the Router component only). `planned_steps` and `moved_percent` are computed by `check`, never
given.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from provider.problems import Problem
from provider.replacement_rules import VersionServing
from provider.shift_settings import (
    SecretText,
    ShiftAlarms,
    alarm_inputs,
    rollback_alarms,
)
from specification.alarms import PromQLAlarm
from specification.deployment_config import BlueGreenUpdatePolicy
from specification.endpoint import EndpointSpec
from specification.names import Namespace, ResourceName
from specification.rolling_update import RollingUpdatePolicy
from specification.routing import (
    RoutingError,
    RoutingTable,
    default_move_reason,
    joining_reason,
    removal_reason,
    routing_table,
)
from specification.version import Percentile

__all__ = [
    "ROUTING_FIELDS",
    "TrafficSplitInputs",
    "default_move_problems",
    "joining_problems",
    "shift_problems",
    "routing",
    "split_problems",
    "removal_problems",
    "routing_changed",
    "transition_problems",
]


class TrafficSplitInputs(BaseModel):
    """Each version's `traffic_percentile`, the default version and the A/B control."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    shares: dict[ResourceName, Percentile] = Field(
        min_length=1,
        description="`{version: traffic_percentile}` for every version behind the endpoint.",
    )
    default_version: ResourceName = Field(
        description="The version that receives the traffic no version claims."
    )
    control_version: ResourceName | None = Field(
        default=None, description="The A/B control; every other version is a treatment."
    )
    is_default_set: bool = Field(
        default=False,
        description="Whether a version sets `is_default`; without it the default is the first "
        "listed version, and the split refuses to let a reorder move it.",
    )
    endpoint: ResourceName | None = Field(
        default=None,
        description="The endpoint whose routers this split moves (its routing ConfigMap "
        "`<endpoint>-router-routing` and router pods). Unset: the split writes nothing live.",
    )
    namespace: Namespace | None = Field(
        default=None, description="The endpoint's namespace, where its ConfigMap and pods are."
    )
    blue_green_update_policy: BlueGreenUpdatePolicy | None = Field(
        default=None,
        description="The spec's `deployment_config.blue_green_update_policy`: how a routing change "
        "is walked. Unset: in one step, no bake.",
    )
    rolling_update_policy: RollingUpdatePolicy | None = Field(
        default=None,
        description="The spec's `deployment_config.rolling_update_policy`: with alarms, how a "
        "version's new definition is walked in (a guarded rolling update, batch by batch). "
        "Without alarms it is Kubernetes' own, and the split leaves it alone.",
    )
    alarms: ShiftAlarms | None = Field(
        default=None,
        description="The spec's rollback alarms keyed by `alarm_name`, evaluated while a shift bakes.",
    )
    prometheus_url: Annotated[str, StringConstraints(pattern=r"^https?://[!-~]+$")] | None = Field(
        default=None, description="The Prometheus that PromQL alarms query."
    )
    kubeconfig: SecretText | None = Field(
        default=None,
        repr=False,
        description="The cluster's kubeconfig (a path or the text), as the stack's Kubernetes "
        "provider takes it; secret. Unset: `$KUBECONFIG` or `~/.kube/config`.",
    )
    kube_context: SecretText | None = Field(
        default=None, repr=False, description="The kubeconfig context; unset: its current one."
    )
    retain_weights: bool | None = Field(
        default=None,
        description="The spec's retained `DesiredWeight` (retain_all_variant_properties without "
        "DesiredWeight excluded): an update keeps the live table instead of walking to the "
        "declared `shares` (`provider.split_retention`). Unset or false: the declared table.",
    )
    retained_shares: dict[ResourceName, Percentile] | None = Field(
        default=None,
        description="Computed by `check`, not given: with `retain_weights`, the live shares an "
        "update keeps (`{version: percent}`, a new version at 0), which a preview shows beside "
        "the declared `shares`.",
    )
    planned_steps: list[dict[ResourceName, float]] | None = Field(
        default=None,
        description="Computed by `check`, not given: `[{version: percent}, ...]`, the tables the "
        "change from the previous split walks through (empty: no shift).",
    )
    versions_serving: dict[ResourceName, VersionServing] | None = Field(
        default=None,
        description="Each version's serving definition (`provider.replacement_rules`): its "
        "digest, declared pods and green Deployment and Service. A changed digest under a "
        "policy is a blue/green replacement. Unset: no replacement, nothing recorded.",
    )
    serving_digests: dict[ResourceName, str] | None = Field(
        default=None,
        description="Computed by `check`, not given: `{version: digest}` of `versions_serving`, "
        "recorded in the outputs, so the next change can tell which definition changed.",
    )
    serving_probes: dict[ResourceName, str] | None = Field(
        default=None,
        description="Computed by `check`, not given: `{version: '<port> <health_path>'}` of "
        "`versions_serving`, recorded so a moved port or health path is noticed.",
    )
    replaced_version: ResourceName | None = Field(
        default=None,
        description="Computed by `check`, not given: the version this change replaces "
        "blue/green (none: no replacement).",
    )
    planned_replacement: list[dict[str, float]] | None = Field(
        default=None,
        description="Computed by `check`, not given: `[{entry: percent}, ...]`, the tables the "
        "replacement walks, `v_green` being the version's new pods.",
    )
    moved_percent: float | None = Field(
        default=None,
        description="Computed by `check`, not given: the share of all traffic the change from "
        "the previous split sends to other versions (0: no shift, or a create); the policy "
        "pack's guarded-shift rule reads it, since a policy sees only the new inputs.",
    )

    def guards_version_updates(self) -> bool:
        """A version's new definition is walked in by the router (`provider.replacement_rules`):
        under a blue/green policy, or a rolling policy with alarms."""
        return self.blue_green_update_policy is not None or (
            self.rolling_update_policy is not None and bool(rollback_alarms(self.alarms))
        )

    @classmethod
    def from_endpoint(cls, spec: EndpointSpec) -> TrafficSplitInputs:
        """The split an endpoint spec declares, with its shift settings (no credentials)."""
        config = spec.deployment_config
        rollback = config.auto_rollback_configuration if config is not None else None
        alarms = rollback.alarms if rollback is not None else None
        return cls(
            shares={version.name: version.traffic_percentile for version in spec.versions},
            default_version=spec.default_version,
            control_version=spec.control_version,
            is_default_set=spec.is_default_set,
            endpoint=spec.name,
            namespace=spec.effective_namespace,
            blue_green_update_policy=config.blue_green_update_policy if config is not None else None,
            rolling_update_policy=config.rolling_update_policy if config is not None else None,
            alarms=alarm_inputs(alarms) if alarms else None,
            prometheus_url=spec.prometheus_url,
            retain_weights=True if spec.retains_weights else None,
        )


# The inputs that make the routing table: what the outputs repeat and what a change is made of.
ROUTING_FIELDS = ("shares", "default_version", "control_version", "is_default_set")


def routing(inputs: TrafficSplitInputs) -> RoutingTable:
    """The routing table of a valid split (raises RoutingError for an invalid one)."""
    return routing_table(inputs.shares, inputs.default_version, inputs.control_version)


def split_problems(inputs: TrafficSplitInputs) -> list[Problem]:
    """The routing table's rules, each as a problem of the input it is about."""
    try:
        routing(inputs)
    except RoutingError as error:
        return [
            Problem(field, f"{message}; lower some shares" if "more than 100" in message else message)
            for field, message in error.problems
        ]
    return []


def shift_problems(inputs: TrafficSplitInputs) -> list[Problem]:
    """The shift settings' cross-field rules: routers are found by endpoint and namespace
    together, and a PromQL alarm needs the Prometheus it queries."""
    problems = []
    if (inputs.endpoint is None) != (inputs.namespace is None):
        problems.append(
            Problem(
                "namespace" if inputs.namespace is None else "endpoint",
                "endpoint and namespace are given together (they locate the endpoint's routers)",
            )
        )
    if inputs.prometheus_url is None:
        for alarm in rollback_alarms(inputs.alarms):
            if isinstance(alarm, PromQLAlarm):
                problems.append(
                    Problem(
                        f"alarms.{alarm.alarm_name}",
                        "a PromQL alarm needs prometheus_url, the Prometheus server it queries",
                    )
                )
    return problems


def removal_problems(old: TrafficSplitInputs, new: TrafficSplitInputs) -> list[Problem]:
    """Versions may leave only once drained: not while default, not while they take traffic
    (`specification.routing.removal_reason`)."""
    table = routing(old)
    reasons = (removal_reason(name, table) for name in sorted(set(old.shares) - set(new.shares)))
    return [Problem("shares", reason) for reason in reasons if reason is not None]


def default_move_problems(old: TrafficSplitInputs, new: TrafficSplitInputs) -> list[Problem]:
    """The default stays where it was created (`specification.routing.default_move_reason`);
    removing the old default is refused by `removal_problems`."""
    reason = default_move_reason(
        old.default_version, new.default_version, new.shares, new.is_default_set
    )
    return [] if reason is None else [Problem("default_version", reason)]


def joining_problems(old: TrafficSplitInputs, new: TrafficSplitInputs) -> list[Problem]:
    """With live routing, a version joins at 0% and takes traffic in a later change.

    The split moves the live routers before the Router component is updated, and a router only
    has a backend for the versions of its configuration: a table giving traffic to a version it
    does not know is refused by its routing agent, so the shift could only time out. (The new
    version's pods are not known to be ready either.) Draining works the other way round: a
    version leaves at 0% (`removal_problems`)."""
    if new.endpoint is None:
        return []
    table = routing(new)
    reasons = (joining_reason(name, table) for name in table.steps if name not in old.shares)
    return [Problem("shares", reason) for reason in reasons if reason is not None]


def transition_problems(old: TrafficSplitInputs, new: TrafficSplitInputs) -> list[Problem]:
    """Every rule that compares a split with the one before it."""
    return removal_problems(old, new) + default_move_problems(old, new) + joining_problems(old, new)


def routing_changed(old: TrafficSplitInputs, new: TrafficSplitInputs) -> bool:
    """Whether the router would route differently: another effective share, default or control.

    Rewording the same table (raising the default's own share when it gets the remainder anyway)
    is no change.
    """
    return routing(old) != routing(new)
