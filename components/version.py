"""Version component: one model version's Deployment, headless Service, PodDisruptionBudget and
either an autoscaler or a fixed replica count (plus its code ConfigMap for an inference config).

The Deployment's options carry what the manifest cannot: how long `up` waits for it to roll (the
rolling update policy's deadline) and, when the endpoint retains instance counts, that Pulumi
keeps the live `spec.replicas` after creation.

`serving` is the version's serving definition as a blue/green replacement needs it (the digest of
its pod template, its declared pods, its green Deployment and Service). With `defer_deployment`
the Deployment (and its autoscaler) are created by a later `add_deployment(after=...)`: an
endpoint with a blue/green policy creates its TrafficSplit in between, after the code
ConfigMap (which green mounts) and before the Deployment (which rolls only once green serves).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components.kubernetes_objects import create_object
from components.manifests.autoscaling import autoscaler
from components.manifests.green import green_deployment, green_service, serving_digest
from components.manifests.rolling_update import rollout_timeout_seconds
from components.manifests.serving import (
    disruption_budget,
    headless_service,
    service_host,
)
from components.manifests.workload import code_config_map, code_files, deployment
from components.options import child_options
from provider import VersionServing
from specification.endpoint import EndpointSpec
from specification.node_pool import NodePoolSpec
from specification.version import VersionSpec

__all__ = ["REPLICAS_PATH", "Version", "VersionArgs", "deployment_options"]

# The Deployment input a retained instance count keeps at its live value after creation.
REPLICAS_PATH = "spec.replicas"


@dataclass(frozen=True)
class VersionArgs:
    """Everything a Version is built from; the Endpoint has validated it."""

    endpoint: EndpointSpec
    version: VersionSpec
    node_pool: NodePoolSpec | None = None
    entry_script_text: str = ""  # the inference config's script, read by the Endpoint
    defer_deployment: bool = False  # the caller creates the Deployment with `add_deployment`


def deployment_options(endpoint: EndpointSpec, version: VersionSpec) -> pulumi.ResourceOptions:
    """The Deployment's own options: `customTimeouts` from the rolling update policy's deadline,
    so `up` waits as long as the policy allows and fails after; `ignore_changes` on
    `spec.replicas` for a fixed-count version of an endpoint that retains instance counts, so
    a changed `num_replicas` is used at creation only (the Kubernetes provider also leaves the
    field alone when another manager, such as `kubectl scale`, owns it)."""
    config = endpoint.deployment_config
    timeout = rollout_timeout_seconds(config.rolling_update_policy if config is not None else None)
    return pulumi.ResourceOptions(
        custom_timeouts=(
            pulumi.CustomTimeouts(create=f"{timeout}s", update=f"{timeout}s")
            if timeout is not None
            else None
        ),
        ignore_changes=(
            [REPLICAS_PATH]
            if endpoint.retains_instance_counts and not version.autoscaled
            else None
        ),
    )


class Version(pulumi.ComponentResource):
    """The Kubernetes objects of one model version behind an endpoint."""

    service_host: pulumi.Output[str]
    port: pulumi.Output[int]

    def __init__(
        self, name: str, args: VersionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        """`opts.depends_on` (the namespace, the node pool) reaches every child."""
        super().__init__("model-endpoints:index:Version", name, None, opts)
        endpoint, version = args.endpoint, args.version
        child = child_options(self, opts)

        code = code_files(version, args.entry_script_text)
        self.code = (
            create_object(
                f"{name}-code", code_config_map(endpoint, version, args.entry_script_text), child
            )
            if version.inference_config is not None
            else None
        )
        self.service = create_object(f"{name}-service", headless_service(endpoint, version), child)
        self.disruption_budget = create_object(
            f"{name}-pdb", disruption_budget(endpoint, version), child
        )
        self.deployment_manifest = deployment(endpoint, version, args.node_pool, code)
        fleet = version.num_replicas or version.autoscale_min_replicas  # the declared pods
        self.serving = VersionServing(
            digest=serving_digest(self.deployment_manifest),
            fleet=fleet,
            green_deployment=green_deployment(endpoint, version, self.deployment_manifest, fleet),
            green_service=green_service(endpoint, version),
            probe=f"{version.port} {version.health_path}",
        )
        self.service_host = pulumi.Output.from_input(service_host(endpoint, version))
        self.port = pulumi.Output.from_input(version.port)
        self._name, self._args, self._opts = name, args, opts
        self.deployment: pulumi.CustomResource | None = None
        self.autoscaler: pulumi.CustomResource | None = None
        if not args.defer_deployment:
            self.add_deployment()

    def add_deployment(self, after: Sequence[pulumi.Resource] = ()) -> None:
        """Create the Deployment (waiting also for `after`) and its autoscaler; once."""
        if self.deployment is not None:
            raise RuntimeError(f"{self._name}: the Deployment exists already")
        name, args, opts = self._name, self._args, self._opts
        endpoint, version = args.endpoint, args.version
        self.deployment = create_object(
            f"{name}-deployment",
            self.deployment_manifest,
            pulumi.ResourceOptions.merge(
                child_options(self, opts, *([self.code] if self.code is not None else []), *after),
                deployment_options(endpoint, version),
            ),
        )
        scaler = autoscaler(endpoint, version)
        self.autoscaler = (
            None
            if scaler is None
            else create_object(
                f"{name}-autoscaler",
                scaler,
                child_options(self, opts, self.deployment),
            )
        )
        self.register_outputs(
            {
                "service_host": self.service_host,
                "port": self.port,
                "role": version.role,
                "autoscaler": "none" if scaler is None else scaler["kind"],
            }
        )
