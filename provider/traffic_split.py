"""The TrafficSplit resource: one per endpoint, the one writer of the weights its routers run with.

`pulumi preview` shows a change of shares as `~ shares: { ~ versionb: 10 => 40 }` and the steps
it will walk as `planned_steps`; a split that breaks the seed's rules, or removes a version that
still takes traffic, fails at preview. `pulumi up` walks the steps through the endpoint's live
routers (`provider.split_walk`) and fails, rolled back, when an alarm breaches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic
from pulumi.dynamic import UpdateResult

from provider.lifecycle import InputsProvider
from provider.problems import Problem
from provider.replacement_rules import VersionServing, replacement_problems
from provider.split_plan import (
    PLAN_FIELDS,
    REPLACEMENT_FIELDS,
    planned_replacement,
    planned_shift,
    replaced_version,
    replacement_candidates,
)
from provider.split_retention import effective_split, live_split, retention_problems
from provider.split_rules import (
    ROUTING_FIELDS,
    TrafficSplitInputs,
    routing,
    routing_changed,
    shift_problems,
    split_problems,
    transition_problems,
)
from provider.split_walk import walk_shift
from provider.version_replacement import replace_version
from rollout import moved_percent, planned_traffic
from specification.endpoint import EndpointSpec
from specification.routing import RoutingTable

__all__ = ["TrafficSplit", "TrafficSplitArgs", "TrafficSplitProvider"]


class TrafficSplitProvider(InputsProvider[TrafficSplitInputs]):
    """Validates splits, plans and walks their changes; `revision` counts the tables written.

    `check` adds `planned_steps` to the inputs (a preview shows them); `create` writes nothing
    live (the Router creates its routing ConfigMap from the outputs); `update` walks the steps
    when the routing changed and the ConfigMap exists, and raises, keeping the previous outputs,
    when the shift was rolled back. Only a change of routing (shares, default, control) is a
    change: new alarms, policy or credentials alone are recorded without an update. With
    `retain_weights` the applied table is the live one (`provider.split_retention`): a declared
    change of shares plans no step and is no change."""

    inputs_model = TrafficSplitInputs
    derived = (
        "planned_steps",
        "moved_percent",
        "retained_shares",
        "serving_digests",
        "serving_probes",
        "replaced_version",
        "planned_replacement",
    )
    derived_from = (*PLAN_FIELDS, *REPLACEMENT_FIELDS)

    def input_problems(self, new: TrafficSplitInputs) -> list[Problem]:
        return split_problems(new) + shift_problems(new)

    def transition_problems(
        self, old: TrafficSplitInputs, new: TrafficSplitInputs
    ) -> list[Problem]:
        """The rules against the table the routers run, for the table this update applies (the
        declared one, or the live one kept: `provider.split_retention`)."""
        live = live_split(old)
        applied = effective_split(live, new)
        return (
            transition_problems(live, applied)
            + retention_problems(live, new)
            + replacement_problems(replacement_candidates(old, new), routing_changed(live, applied))
            + plan_problems(old, new)
        )

    def changed(self, old: TrafficSplitInputs, new: TrafficSplitInputs) -> bool:
        """A change of routing, or of a version's serving definition (recorded, and replaced
        blue/green under a policy)."""
        live = live_split(old)
        return routing_changed(live, effective_split(live, new)) or (
            new.versions_serving is not None and old.serving_digests != _digests(new)
        )

    def outputs(
        self,
        new: TrafficSplitInputs,
        old: TrafficSplitInputs | None,
        old_outputs: Mapping[str, Any],
    ) -> dict[str, Any]:
        live = live_split(old) if old is not None else None
        applied = effective_split(live, new)
        table = routing(applied)
        revision = int(old_outputs.get("revision", 0))
        if live is None or routing_changed(live, applied):
            revision += 1
        # The routing inputs only: credentials never reach an output, and settings that are no
        # change on their own (policy, alarms) would go stale in outputs the engine keeps.
        return {
            **applied.model_dump(mode="json", include=set(ROUTING_FIELDS), exclude_none=True),
            "effective_traffic": table.traffic,
            "effective_steps": table.steps,
            "treatments": table.treatments,
            "revision": revision,
            **self.derive(old, new),
        }

    def derive(
        self, old: TrafficSplitInputs | None, new: TrafficSplitInputs
    ) -> dict[str, Any]:
        """`planned_steps`: the tables the change from `old` walks (none on a create, none when
        the live table is retained); `moved_percent`: the share of all traffic it sends elsewhere
        (0 on a create, and when retained); `retained_shares`: the live shares kept, when
        retained."""
        derived: dict[str, Any] = {}
        try:  # a size the fleet cannot honour is a check failure (`plan_problems`), planned never
            steps = planned_shift(old, new) if old is not None else []
            derived["planned_steps"] = planned_traffic(steps)
            replaced = replaced_version(old, new)
            if old is not None and replaced is not None:
                derived["replaced_version"] = replaced
                plan = planned_replacement(old, new, replaced)
                derived["planned_replacement"] = planned_traffic(plan.steps)
        except ValueError:
            derived["planned_steps"] = []
        digests = _digests(new)
        if digests is not None:
            derived["serving_digests"] = digests
        probes = {name: each.probe for name, each in (new.versions_serving or {}).items() if each.probe}
        if probes:
            derived["serving_probes"] = probes
        kept = effective_split(live_split(old), new).retained_shares if old is not None else None
        if kept is not None:
            derived["retained_shares"] = kept
        moved = 0.0
        if old is not None and kept is None:
            moved = moved_percent(routing(old), routing(new))
        derived["moved_percent"] = moved
        return derived

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """`olds` are the previous outputs: the table the routers run as their `revision`."""
        new = self.parse(news)
        recorded = self.parse_recorded(olds)
        outputs = self.outputs(new, recorded, olds)
        old = live_split(recorded) if recorded is not None else None
        replaced = replaced_version(recorded, new)
        if recorded is not None and replaced is not None:
            walked = replace_version(recorded, new, replaced, int(olds.get("revision", 0)))
            if walked is not None:
                outputs["revision"] = walked
        elif old is not None and routing_changed(old, effective_split(old, new)):
            walked = walk_shift(old, new, int(olds.get("revision", 0)))
            if walked is not None:
                outputs["revision"] = walked
        return UpdateResult(outputs)


@dataclass(frozen=True)
class TrafficSplitArgs:
    """Inputs of a TrafficSplit (each may be an Output).

    The routing: `shares`, `default_version`, `control_version`, `is_default_set`. How a change
    reaches the routers: `endpoint` and `namespace` (unset: the split writes nothing live), the
    spec's `blue_green_update_policy` and `rolling_update_policy` (dicts or the models), `alarms` keyed by name
    (`shift_settings.alarm_inputs`), `prometheus_url`, and the cluster credentials the stack's
    Kubernetes provider uses, `kubeconfig` (a path or the text) and `kube_context`, which the
    resource marks secret (unset: `$KUBECONFIG` or `~/.kube/config` where `pulumi up` runs).
    `retain_weights`: an update keeps the live table (the spec's retained `DesiredWeight`).
    `versions_serving`: each version's serving definition (`provider.replacement_rules`), which
    makes a changed definition under a policy a blue/green replacement."""

    shares: pulumi.Input[Mapping[str, pulumi.Input[float]]]
    default_version: pulumi.Input[str]
    control_version: pulumi.Input[str] | None = None
    is_default_set: pulumi.Input[bool] = False
    endpoint: pulumi.Input[str] | None = None
    namespace: pulumi.Input[str] | None = None
    blue_green_update_policy: pulumi.Input[Mapping[str, Any]] | None = None
    rolling_update_policy: pulumi.Input[Mapping[str, Any]] | None = None
    alarms: pulumi.Input[Mapping[str, Mapping[str, Any]]] | None = None
    prometheus_url: pulumi.Input[str] | None = None
    kubeconfig: pulumi.Input[str] | None = None
    kube_context: pulumi.Input[str] | None = None
    retain_weights: pulumi.Input[bool] | None = None
    versions_serving: Mapping[str, VersionServing] | None = None

    @classmethod
    def from_endpoint(
        cls,
        spec: EndpointSpec,
        kubeconfig: pulumi.Input[str] | None = None,
        kube_context: pulumi.Input[str] | None = None,
        versions_serving: Mapping[str, VersionServing] | None = None,
    ) -> TrafficSplitArgs:
        """The split an endpoint declares, with its shift settings and the given credentials."""
        inputs = TrafficSplitInputs.from_endpoint(spec)
        policy = inputs.blue_green_update_policy
        rolling = inputs.rolling_update_policy
        return cls(
            dict(inputs.shares),
            inputs.default_version,
            inputs.control_version,
            inputs.is_default_set,
            endpoint=inputs.endpoint,
            namespace=inputs.namespace,
            blue_green_update_policy=(
                policy.model_dump(mode="json", exclude_none=True) if policy is not None else None
            ),
            rolling_update_policy=(
                rolling.model_dump(mode="json", exclude_none=True) if rolling is not None else None
            ),
            alarms=inputs.alarms,
            prometheus_url=inputs.prometheus_url,
            kubeconfig=kubeconfig,
            kube_context=kube_context,
            retain_weights=inputs.retain_weights,
            versions_serving=versions_serving,
        )


class TrafficSplit(pulumi.dynamic.Resource, module="model-endpoints", name="TrafficSplit"):
    """The traffic split of one endpoint.

    Outputs: `shares`, `default_version`, `control_version`, `is_default_set` (as given),
    `treatments` (every version but the control), `effective_traffic` (`{version: percent}`
    summing to 100, the remainder to the default), `effective_steps` (the same in 0.01% steps,
    summing to 10000), `planned_steps` (`[{version: percent}, ...]`, the tables the last change
    walked; also an input a preview shows), `moved_percent` (the share of all traffic that change
    sent elsewhere; also an input, read by the policy pack), `retained_shares` (with
    `retain_weights`, the live shares an update kept instead of the declared ones; also an input a
    preview shows) and `revision` (1 on create, then +1 for every table
    written: each step of a walked change, or one for a change the Router carries). Numbers cross
    the wire as floats: cast `effective_steps` and `revision` with `int()` before use. The
    credentials are secret inputs and never an output.
    """

    shares: pulumi.Output[dict[str, float]]
    default_version: pulumi.Output[str]
    control_version: pulumi.Output[str | None]
    treatments: pulumi.Output[list[str]]
    effective_traffic: pulumi.Output[dict[str, float]]
    effective_steps: pulumi.Output[dict[str, int]]
    planned_steps: pulumi.Output[list[dict[str, float]]]
    moved_percent: pulumi.Output[float]
    serving_digests: pulumi.Output[dict[str, str] | None]
    replaced_version: pulumi.Output[str | None]
    planned_replacement: pulumi.Output[list[dict[str, float]] | None]
    revision: pulumi.Output[int]

    def __init__(
        self, name: str, args: TrafficSplitArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props: dict[str, Any] = {
            "shares": args.shares,
            "default_version": args.default_version,
            "control_version": args.control_version,
            "is_default_set": args.is_default_set,
            "endpoint": args.endpoint,
            "namespace": args.namespace,
            "blue_green_update_policy": args.blue_green_update_policy,
            "rolling_update_policy": args.rolling_update_policy,
            "alarms": args.alarms,
            "prometheus_url": args.prometheus_url,
            # secret in state and in every display; the provider gets them in clear (it does not
            # accept secrets), and the engine keeps the checked inputs' copies secret
            "kubeconfig": _secret(args.kubeconfig),
            "kube_context": _secret(args.kube_context),
            "retain_weights": args.retain_weights,
            "versions_serving": (
                None
                if args.versions_serving is None
                else {
                    name: serving.model_dump(mode="json")
                    for name, serving in args.versions_serving.items()
                }
            ),
            "serving_digests": None,
            "serving_probes": None,
            "replaced_version": None,
            "planned_replacement": None,
            "treatments": None,
            "effective_traffic": None,
            "effective_steps": None,
            "planned_steps": None,
            "moved_percent": None,
            "revision": None,
        }
        super().__init__(TrafficSplitProvider(), name, props, opts)

    def routing(self) -> pulumi.Output[RoutingTable]:
        """The routing table this split holds (what every router runs), from its outputs, which
        stacks deployed before `is_default_set` existed also have."""
        return pulumi.Output.all(self.effective_steps, self.default_version, self.control_version).apply(
            lambda values: RoutingTable.from_steps(values[0], values[1], values[2])
        )


def plan_problems(old: TrafficSplitInputs, new: TrafficSplitInputs) -> list[Problem]:
    """A traffic shift or replacement sized in pods that its fleet cannot honour (a canary of
    more than half the pods, a linear step outside 10-50%, ...): the planner's own message."""
    try:
        planned_shift(old, new)
    except ValueError as error:
        return [Problem("blue_green_update_policy", str(error))]
    replaced = replaced_version(old, new)
    if replaced is None:
        return []
    try:
        planned_replacement(old, new, replaced)
    except ValueError as error:
        field = "blue_green_update_policy" if new.blue_green_update_policy else "rolling_update_policy"
        return [Problem(field, f"replacing version {replaced}: {error}")]
    return []


def _digests(inputs: TrafficSplitInputs) -> dict[str, str] | None:
    serving = inputs.versions_serving
    return None if serving is None else {name: each.digest for name, each in serving.items()}


def _secret(value: pulumi.Input[str] | None) -> pulumi.Output[str] | None:
    return pulumi.Output.secret(value) if value is not None else None
