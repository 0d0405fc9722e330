"""Version component: one model version's Deployment, headless Service, PodDisruptionBudget and
either an autoscaler or a fixed replica count (plus its code ConfigMap for an inference config).

The Deployment's options carry what the manifest cannot: how long `up` waits for it to roll (the
rolling update policy's deadline) and, when the endpoint retains instance counts, that Pulumi
keeps the live `spec.replicas` after creation.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.kubernetes_objects import create_object
from components.manifests.autoscaling import autoscaler
from components.manifests.serving import (
    disruption_budget,
    headless_service,
    service_host,
)
from components.manifests.rolling_update import rollout_timeout_seconds
from components.manifests.workload import code_config_map, code_files, deployment
from components.options import child_options
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
        self.deployment = create_object(
            f"{name}-deployment",
            deployment(endpoint, version, args.node_pool, code),
            pulumi.ResourceOptions.merge(
                child_options(self, opts, *([self.code] if self.code is not None else [])),
                deployment_options(endpoint, version),
            ),
        )
        self.service = create_object(f"{name}-service", headless_service(endpoint, version), child)
        self.disruption_budget = create_object(
            f"{name}-pdb", disruption_budget(endpoint, version), child
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
        self.service_host = pulumi.Output.from_input(service_host(endpoint, version))
        self.port = pulumi.Output.from_input(version.port)
        self.register_outputs(
            {
                "service_host": self.service_host,
                "port": self.port,
                "role": version.role,
                "autoscaler": "none" if scaler is None else scaler["kind"],
            }
        )
