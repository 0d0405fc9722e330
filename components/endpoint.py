"""Endpoint component: one scoring endpoint, its namespace, its versions and who may reach them.

The router (the endpoint's front door, which splits traffic and checks credentials) plugs in
here: it consumes `effective_traffic` and each version's `service_host`/`port`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pulumi

from components.kubernetes_objects import create_object
from components.manifests.serving import namespace as namespace_manifest
from components.manifests.serving import network_policy
from components.node_pool import NodePool
from components.spec.endpoint import EndpointSpec
from components.spec.node_pool import NodePoolSpec
from components.spec.placement import check_placement
from components.version import Version, VersionArgs

__all__ = ["Endpoint"]


def _entry_script_text(spec: EndpointSpec, index: int, source_dir: Path) -> str:
    config = spec.versions[index].inference_config
    if config is None:
        return ""
    path = source_dir / config.entry_script
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(
            f"versions[{index}].inference_config.entry_script: cannot read {path}: {error.strerror}"
        ) from None


class Endpoint(pulumi.ComponentResource):
    """An Azure ML-style online endpoint: versions behind one scoring URL with a traffic split."""

    spec: EndpointSpec
    namespace: pulumi.Output[str]
    effective_traffic: pulumi.Output[dict[str, float]]
    default_version: pulumi.Output[str]
    version_hosts: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        name: str,
        spec: EndpointSpec,
        opts: pulumi.ResourceOptions | None = None,
        *,
        node_pools: Sequence[NodePool | NodePoolSpec] = (),
        source_dir: str | Path = ".",
    ) -> None:
        """`node_pools`: the pools versions may name (NodePool components, so versions wait for
        their device plugin, or bare specs). `source_dir`: where inference-config entry scripts
        are read from. Raises ValueError before creating anything if a version cannot be placed."""
        pools: Mapping[str, NodePoolSpec] = {
            (p.spec if isinstance(p, NodePool) else p).name: (p.spec if isinstance(p, NodePool) else p)
            for p in node_pools
        }
        check_placement(spec, pools)
        scripts = [_entry_script_text(spec, i, Path(source_dir)) for i in range(len(spec.versions))]
        pool_components = {p.spec.name: p for p in node_pools if isinstance(p, NodePool)}

        super().__init__("model-endpoints:index:Endpoint", name, None, opts)
        self.spec = spec

        self.namespace_resource = (
            create_object(f"{name}-namespace", namespace_manifest(spec), pulumi.ResourceOptions(parent=self))
            if spec.create_namespace
            else None
        )
        in_namespace = [self.namespace_resource] if self.namespace_resource is not None else []

        self.versions: dict[str, Version] = {}
        for version, script in zip(spec.versions, scripts, strict=True):
            pool_deps = (
                [pool_components[version.node_pool]]
                if version.node_pool in pool_components
                else []
            )
            self.versions[version.name] = Version(
                f"{name}-{version.name}",
                VersionArgs(
                    endpoint=spec,
                    version=version,
                    node_pool=pools.get(version.node_pool) if version.node_pool else None,
                    entry_script_text=script,
                ),
                pulumi.ResourceOptions(parent=self),
                depends_on=in_namespace + pool_deps,
            )

        self.network_policy = create_object(
            f"{name}-network-policy",
            network_policy(spec),
            pulumi.ResourceOptions(parent=self, depends_on=in_namespace),
        )

        # Seam for the router (next layer): it takes this table and the version hosts.
        self.namespace = pulumi.Output.from_input(spec.effective_namespace)
        self.effective_traffic = pulumi.Output.from_input(spec.effective_traffic())
        self.default_version = pulumi.Output.from_input(spec.default_version)
        self.version_hosts = pulumi.Output.all(
            **{version: component.service_host for version, component in self.versions.items()}
        )
        self.register_outputs(
            {
                "namespace": self.namespace,
                "effective_traffic": self.effective_traffic,
                "default_version": self.default_version,
                "control_version": spec.control_version,
                "version_hosts": self.version_hosts,
            }
        )
