"""Endpoint component: one scoring endpoint, its namespace, versions, router and state.

The dynamic resources hold what Pulumi must diff and remember (the traffic split, the API keys,
the token-signing key, the seed's `update()` record); the router is rendered from their outputs,
so the routing table in the running router (weights, default version and A/B roles) always comes
from the TrafficSplit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi

from components.cluster_credentials import ClusterCredentialInputs, stack_cluster_credentials
from components.kubernetes_objects import create_object
from components.manifests.serving import namespace as namespace_manifest
from components.manifests.serving import network_policy
from components.node_pool import NodePool
from components.options import child_options
from components.router import Router, RouterArgs
from components.version import Version, VersionArgs
from provider import (
    ApiKeys,
    ApiKeysArgs,
    EndpointRecord,
    EndpointRecordArgs,
    TokenSigner,
    TokenSignerArgs,
    TrafficSplit,
    TrafficSplitArgs,
    VersionSettle,
    VersionSettleArgs,
)
from specification.endpoint import EndpointSpec
from specification.models import cluster_uri_problem
from specification.node_pool import NodePoolSpec
from specification.placement import check_placement
from specification.source_paths import OutsideStackDirError, resolve_in_stack_dir

__all__ = ["Endpoint", "EndpointArgs"]


@dataclass(frozen=True)
class EndpointArgs:
    """What an Endpoint is built from.

    `spec`: the validated endpoint. `node_pools`: the pools versions may name (NodePool
    components, so versions wait for them and their device plugin, or bare specs).
    `source_dir`: where inference-config entry scripts are read from.
    `kubeconfig`, `kube_context`: the cluster the TrafficSplit moves the live routers of, for a
    program that gives its Kubernetes objects an explicit provider (pass that provider's
    kubeconfig and context); unset, the stack's `kubernetes:kubeconfig` and `kubernetes:context`
    config, else `$KUBECONFIG`. Secret wherever they appear."""

    spec: EndpointSpec
    node_pools: Sequence[NodePool | NodePoolSpec] = ()
    source_dir: str | Path = "."
    kubeconfig: pulumi.Input[str] | None = None
    kube_context: pulumi.Input[str] | None = None


def _entry_script_text(spec: EndpointSpec, index: int, source_dir: Path) -> str:
    config = spec.versions[index].inference_config
    if config is None:
        return ""
    field = f"versions[{index}].inference_config.entry_script"
    try:  # the text goes into a ConfigMap a preview shows: only files of the stack's directory
        path = resolve_in_stack_dir(source_dir, config.entry_script)
    except OutsideStackDirError as error:
        raise ValueError(f"{field}: {error}") from None
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"{field}: cannot read {path}: {error.strerror}") from None


def _check_models_reach_a_cluster(spec: EndpointSpec) -> None:
    """A cluster fetches models by URI: a local path (which `local up` serves) fails the preview."""
    for index, version in enumerate(spec.versions):
        for number, model in enumerate(version.models):
            problem = cluster_uri_problem(model.uri)
            if problem is not None:
                raise ValueError(f"versions[{index}].models[{number}].uri: {problem}")


class Endpoint(pulumi.ComponentResource):
    """An Azure ML-style online endpoint: versions behind one scoring URL with a traffic split."""

    spec: EndpointSpec
    namespace: pulumi.Output[str]
    effective_traffic: pulumi.Output[dict[str, float]]
    traffic_revision: pulumi.Output[int]
    default_version: pulumi.Output[str]
    version_hosts: pulumi.Output[dict[str, str]]
    scoring_url: pulumi.Output[str]
    token_issuer: pulumi.Output[str]
    token_audience: pulumi.Output[str]
    keys: pulumi.Output[dict[str, str]] | None  # secret: primary_key, secondary_key
    token_signing_key: pulumi.Output[str] | None  # secret: PEM private key

    def __init__(
        self,
        name: str,
        args: EndpointArgs | EndpointSpec,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`args`: an `EndpointArgs`, or just the spec (no node pools, entry scripts read from
        the working directory). `opts.depends_on` reaches every child. Raises ValueError before
        creating anything if a version cannot be placed, an entry script cannot be read or a
        model's uri is a local path."""
        if isinstance(args, EndpointSpec):
            args = EndpointArgs(spec=args)
        spec, node_pools, source_dir = args.spec, args.node_pools, args.source_dir
        pools: Mapping[str, NodePoolSpec] = {
            (p.spec if isinstance(p, NodePool) else p).name: (p.spec if isinstance(p, NodePool) else p)
            for p in node_pools
        }
        check_placement(spec, pools)
        _check_models_reach_a_cluster(spec)
        scripts = [_entry_script_text(spec, i, Path(source_dir)) for i in range(len(spec.versions))]
        pool_components = {p.spec.name: p for p in node_pools if isinstance(p, NodePool)}

        super().__init__("model-endpoints:index:Endpoint", name, None, opts)
        self.spec = spec

        self.namespace_resource = (
            create_object(f"{name}-namespace", namespace_manifest(spec), child_options(self, opts))
            if spec.create_namespace
            else None
        )
        in_namespace = [self.namespace_resource] if self.namespace_resource is not None else []

        config = spec.deployment_config
        # a version's new definition walked in by the router: blue/green, or guarded rolling
        blue_green = config is not None and config.guards_version_updates
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
                    defer_deployment=blue_green,
                ),
                child_options(self, opts, *in_namespace, *pool_deps),
            )

        self.network_policy = create_object(
            f"{name}-network-policy",
            network_policy(spec),
            child_options(self, opts, *in_namespace),
        )

        child = child_options(self, opts)
        self.record = EndpointRecord(f"{name}-record", EndpointRecordArgs.from_endpoint(spec), child)
        cluster = (
            ClusterCredentialInputs(args.kubeconfig, args.kube_context)
            if args.kubeconfig is not None or args.kube_context is not None
            else stack_cluster_credentials()
        )
        serving = {name_: component.serving for name_, component in self.versions.items()}
        # With a blue/green policy the split creates green pods, which mount the versions' code
        # ConfigMaps (so it waits for them), and each version's Deployment rolls only after the
        # split moved the version's traffic onto green; VersionSettle then folds green back.
        codes = [c.code for c in self.versions.values() if blue_green and c.code is not None]
        self.traffic_split = TrafficSplit(
            f"{name}-traffic",
            TrafficSplitArgs.from_endpoint(
                spec, cluster.kubeconfig, cluster.kube_context, versions_serving=serving
            ),
            child_options(self, opts, *codes),
        )
        self.settle: VersionSettle | None = None
        if blue_green:
            for component in self.versions.values():
                component.add_deployment(after=[self.traffic_split])
            deployments = [c.deployment for c in self.versions.values() if c.deployment is not None]
            self.settle = VersionSettle(
                f"{name}-settle",
                VersionSettleArgs(
                    endpoint=spec.name,
                    namespace=spec.effective_namespace,
                    versions=[version.name for version in spec.versions],
                    default_version=self.traffic_split.default_version,
                    control_version=self.traffic_split.control_version,
                    serving_digests={name_: each.digest for name_, each in serving.items()},
                    kubeconfig=cluster.kubeconfig,
                    kube_context=cluster.kube_context,
                ),
                child_options(self, opts, self.traffic_split, *deployments),
            )
        self.api_keys = (
            ApiKeys(f"{name}-keys", ApiKeysArgs.from_endpoint(spec), child) if spec.auth_enabled else None
        )
        self.token_signer = (
            TokenSigner(
                f"{name}-token-signer",
                TokenSignerArgs(
                    issuer=spec.token_issuer,
                    audience=spec.token_audience,
                    token_signing_key_rotation=spec.token_signing_key_rotation,
                ),
                child,
            )
            if spec.token_auth_enabled
            else None
        )
        key_hashes = (
            pulumi.Output.all(
                primary=self.api_keys.primary_key_sha256, secondary=self.api_keys.secondary_key_sha256
            )
            if self.api_keys is not None
            else None
        )
        self.router = Router(
            f"{name}-router",
            RouterArgs(
                endpoint=spec,
                routing=self.traffic_split.routing(),
                routing_revision=self.traffic_split.revision.apply(int),
                key_hashes=key_hashes,
                token_public_key_pem=(
                    self.token_signer.public_key_pem if self.token_signer is not None else None
                ),
            ),
            child_options(self, opts, *in_namespace),
        )

        self.namespace = pulumi.Output.from_input(spec.effective_namespace)
        # Known at preview time (the same arithmetic the TrafficSplit applies), so a preview's
        # output diff shows each version's new effective share; the router itself is rendered
        # from the TrafficSplit's outputs. With retained weights this stays the declared table
        # while the TrafficSplit keeps the live one (`describe` shows both).
        self.effective_traffic = pulumi.Output.from_input(spec.effective_traffic())
        self.traffic_revision = self.traffic_split.revision.apply(int)
        self.default_version = pulumi.Output.from_input(spec.default_version)
        self.version_hosts = pulumi.Output.all(
            **{version: component.service_host for version, component in self.versions.items()}
        )
        self.scoring_url = self.router.scoring_url
        self.token_issuer = pulumi.Output.from_input(spec.token_issuer)
        self.token_audience = pulumi.Output.from_input(spec.token_audience)
        self.keys = (
            pulumi.Output.secret(
                pulumi.Output.all(
                    primary_key=self.api_keys.primary_key, secondary_key=self.api_keys.secondary_key
                )
            )
            if self.api_keys is not None
            else None
        )
        self.token_signing_key = (
            pulumi.Output.secret(self.token_signer.private_key_pem) if self.token_signer is not None else None
        )
        self.register_outputs(
            {
                "namespace": self.namespace,
                "scoring_url": self.scoring_url,
                "effective_traffic": self.effective_traffic,
                "traffic_revision": self.traffic_revision,
                "default_version": self.default_version,
                "control_version": spec.control_version,
                "version_hosts": self.version_hosts,
            }
        )
