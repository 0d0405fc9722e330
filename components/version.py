"""Version component: one model version's Deployment, headless Service, PodDisruptionBudget and
either an autoscaler or a fixed replica count (plus its code ConfigMap for an inference config)."""

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
from components.manifests.workload import code_config_map, code_files, deployment
from components.options import child_options
from specification.endpoint import EndpointSpec
from specification.node_pool import NodePoolSpec
from specification.version import VersionSpec

__all__ = ["Version", "VersionArgs"]


@dataclass(frozen=True)
class VersionArgs:
    """Everything a Version is built from; the Endpoint has validated it."""

    endpoint: EndpointSpec
    version: VersionSpec
    node_pool: NodePoolSpec | None = None
    entry_script_text: str = ""  # the inference config's script, read by the Endpoint


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
            child_options(self, opts, *([self.code] if self.code is not None else [])),
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
