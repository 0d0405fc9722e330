"""The VersionSettle resource: the last step of a cluster blue/green replacement.

After the TrafficSplit moved a version's traffic onto its green pods and the version's own
Deployment (which depends on the split) rolled to the new definition, this resource (which
depends on every version's Deployment) folds each `v_green` entry of the live table back into
`v` in one step, so no request moves (blue and green run the same definition now), waits until
every router reports that table, and deletes the green Deployments and Services
(`provider.version_replacement` has the whole sequence).

It runs whenever a version's serving digest changes, and finds what to do in the cluster, not in
its inputs: a replacement whose `up` was killed, or whose Deployment failed to roll, is settled
by the next `up` that gets this far. `pulumi destroy` deletes any green left behind. An endpoint
has one when its spec has a `blue_green_update_policy`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic
from pydantic import BaseModel, ConfigDict, Field

from kube_adapter import ClusterAdapter, ClusterCredentials, ClusterError
from kube_adapter.names import green_object_name
from provider.cluster_routers import ClusterRouters
from provider.lifecycle import InputsProvider
from provider.shift_log import progress_printer, write_line
from provider.shift_settings import SecretText
from provider.version_replacement import delete_green, read_live_table
from rollout import PlannedStep, ShiftFailed, ShiftPolicy, SystemClock, run_shift
from rollout.replacement import green_shares, settled_table
from specification.names import Namespace, ResourceName

__all__ = ["VersionSettle", "VersionSettleArgs", "VersionSettleInputs", "VersionSettleProvider", "settle"]


class VersionSettleInputs(BaseModel):
    """The endpoint whose replacements to settle, and what to notice a new one by."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoint: ResourceName = Field(description="The endpoint whose routers and green pods are settled.")
    namespace: Namespace = Field(description="The endpoint's namespace.")
    versions: list[ResourceName] = Field(min_length=1, description="The endpoint's versions, in order.")
    default_version: ResourceName = Field(description="The default version (the TrafficSplit's).")
    control_version: ResourceName | None = Field(default=None, description="The A/B control, if any.")
    serving_digests: dict[ResourceName, str] = Field(
        description="`{version: digest}` of the serving definitions: a change runs the settle."
    )
    kubeconfig: SecretText | None = Field(default=None, repr=False, description="As the TrafficSplit's.")
    kube_context: SecretText | None = Field(default=None, repr=False, description="As the TrafficSplit's.")


class SettleError(RuntimeError):
    """The routers did not take the settled table; green stays, and the next `up` tries again."""


def settle(inputs: VersionSettleInputs) -> list[str]:
    """Fold green entries back into their versions on the live routers, then delete every green
    Deployment and Service of the endpoint; what was deleted, as `Kind/name`."""
    who = f"endpoint {inputs.endpoint!r}"
    adapter = ClusterAdapter(ClusterCredentials(inputs.kubeconfig, inputs.kube_context))
    routers = ClusterRouters(adapter, inputs.namespace, inputs.endpoint)
    read = read_live_table(routers, inputs.versions, inputs.default_version, inputs.control_version)
    if read is not None:
        live, revision = read
        greens = {name: count for name, count in green_shares(live).items() if count}
        if greens:
            write_line(
                f"{who}: version{'s' if len(greens) != 1 else ''} {', '.join(sorted(greens))} "
                "run their new definition on blue too: folding the green entries back"
            )
            try:
                run_shift(
                    live,
                    [PlannedStep(settled_table(live), 0, 100.0)],
                    start_revision=revision,
                    routers=routers,
                    clock=SystemClock(),
                    policy=ShiftPolicy(),
                    on_event=progress_printer(who),
                )
            except ShiftFailed as failed:
                raise SettleError(
                    f"{who}: the routers did not take the table without green entries ({failed}); "
                    "green keeps serving, and the next `pulumi up` settles it"
                ) from None
    deleted = _delete_every_green(adapter, inputs)
    if deleted:
        write_line(f"{who}: deleted {', '.join(deleted)}")
    return deleted


def _delete_every_green(adapter: ClusterAdapter, inputs: VersionSettleInputs) -> list[str]:
    return [
        deleted
        for version in inputs.versions
        for deleted in delete_green(adapter, inputs.namespace, green_object_name(inputs.endpoint, version))
    ]


class VersionSettleProvider(InputsProvider[VersionSettleInputs]):
    """Settles on every update (a changed digest); deletes leftovers on delete. A create writes
    nothing live: no replacement can have run before the endpoint had a policy (and so this
    resource)."""

    inputs_model = VersionSettleInputs

    def changed(self, old: VersionSettleInputs, new: VersionSettleInputs) -> bool:
        """A new serving definition (or another set of versions) runs the settle; credentials,
        which the outputs never hold, and the default or control alone do not."""
        return (old.serving_digests, old.versions) != (new.serving_digests, new.versions)

    def outputs(
        self,
        new: VersionSettleInputs,
        old: VersionSettleInputs | None,
        old_outputs: Mapping[str, Any],
    ) -> dict[str, Any]:
        # the credentials never reach an output
        return new.model_dump(mode="json", exclude={"kubeconfig", "kube_context"}, exclude_none=True)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        result = super().update(_id, olds, news)
        settle(self.parse(news))
        return result

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Delete any green left behind (a destroy of an endpoint mid-replacement), best effort:
        a delete gets the outputs only, which hold no credentials, so the provider process's own
        (`$KUBECONFIG`, `~/.kube/config`) are used; failing, it says so and the destroy goes on
        (an endpoint that created its namespace loses green with it)."""
        recorded = self.parse_recorded(props)
        if recorded is None:
            return
        try:
            adapter = ClusterAdapter(ClusterCredentials(recorded.kubeconfig, recorded.kube_context))
            _delete_every_green(adapter, recorded)
        except ClusterError as error:
            write_line(
                f"endpoint {recorded.endpoint!r}: could not delete any green Deployment and Service "
                f"'<endpoint>-<version>-green' left by a replacement: {error}"
            )


@dataclass(frozen=True)
class VersionSettleArgs:
    """Inputs of a VersionSettle (each may be an Output): see `VersionSettleInputs`."""

    endpoint: pulumi.Input[str]
    namespace: pulumi.Input[str]
    versions: pulumi.Input[list[str]]
    default_version: pulumi.Input[str]
    serving_digests: pulumi.Input[Mapping[str, str]]
    control_version: pulumi.Input[str | None] | None = None
    kubeconfig: pulumi.Input[str] | None = None
    kube_context: pulumi.Input[str] | None = None


class VersionSettle(pulumi.dynamic.Resource, module="model-endpoints", name="VersionSettle"):
    """Settles an endpoint's blue/green replacements after its versions' Deployments rolled."""

    serving_digests: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: VersionSettleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props: dict[str, Any] = {
            "endpoint": args.endpoint,
            "namespace": args.namespace,
            "versions": args.versions,
            "default_version": args.default_version,
            "control_version": args.control_version,
            "serving_digests": args.serving_digests,
            "kubeconfig": _secret(args.kubeconfig),
            "kube_context": _secret(args.kube_context),
        }
        super().__init__(VersionSettleProvider(), name, props, opts)


def _secret(value: pulumi.Input[str] | None) -> pulumi.Output[str] | None:
    return pulumi.Output.secret(value) if value is not None else None
