"""The config-driven program behind `stacks/__main__.py`: stack config in, components out.

Kept out of `__main__.py` so the same code runs under `pulumi up`, under mocks in the tests, in
the benchmark and in the mocked preview.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from components.endpoint import Endpoint, EndpointArgs
from components.node_pool import NodePool, NodePoolArgs
from specification.stack import StackSpec
from specification.stack_config import (
    ENDPOINTS,
    ENDPOINTS_KEY,
    NODE_POOLS,
    NODE_POOLS_KEY,
    PROJECT_NAME,
    StackConfigError,
    validate_stack_config,
)

__all__ = ["Deployed", "load_stack_spec", "deploy_stack", "run_program"]


@dataclass
class Deployed:
    """What a stack built, by name."""

    node_pools: dict[str, NodePool]
    endpoints: dict[str, Endpoint]


def load_stack_spec(endpoints: Any, node_pools: Any) -> StackSpec:
    """Validate the raw config values; a bad config raises `pulumi.RunError` with one line per
    problem (config key and path first), which Pulumi prints without a traceback."""
    try:
        return validate_stack_config({ENDPOINTS_KEY: endpoints, NODE_POOLS_KEY: node_pools})
    except StackConfigError as error:
        raise pulumi.RunError(str(error)) from None


def deploy_stack(spec: StackSpec, source_dir: str | Path) -> Deployed:
    """Build every node pool and endpoint of the stack."""
    pools = {pool.name: NodePool(pool.name, NodePoolArgs(pool)) for pool in spec.node_pools}
    endpoints: dict[str, Endpoint] = {}
    for index, endpoint in enumerate(spec.endpoints):
        try:
            endpoints[endpoint.name] = Endpoint(
                endpoint.name,
                EndpointArgs(endpoint, node_pools=list(pools.values()), source_dir=source_dir),
            )
        except ValueError as error:  # e.g. an entry script that cannot be read
            invalid = StackConfigError.invalid(f"{ENDPOINTS_KEY}[{index}].{error}")
            raise pulumi.RunError(str(invalid)) from None
    return Deployed(node_pools=pools, endpoints=endpoints)


def _export(deployed: Deployed) -> None:
    """Stack outputs. Plain: `effective_traffic`, `endpoints` (scoring URL, namespace, the
    retained variant properties and declared fixed replica counts `describe` compares, ...), and
    with pools created in a cloud, `cloud_pools` (each one's cloud, name there and ID).
    Secret: `keys` (the seed's `get_keys`) and `token_signing_keys`, kept apart so the plain
    outputs stay readable."""
    cloud_pools = {
        name: {"cloud": pool.spec.cloud, "name": pool.spec.cloud_pool_name, "id": pool.cloud_pool_id}
        for name, pool in deployed.node_pools.items()
        if pool.cloud_pool_id is not None
    }
    if cloud_pools:
        pulumi.export("cloud_pools", cloud_pools)
    endpoints = deployed.endpoints
    traffic: Mapping[str, pulumi.Output[Any]] = {name: e.effective_traffic for name, e in endpoints.items()}
    pulumi.export("effective_traffic", pulumi.Output.all(**traffic) if traffic else {})
    pulumi.export(
        "endpoints",
        {
            name: {
                "scoring_url": endpoint.scoring_url,
                "namespace": endpoint.namespace,
                "default_version": endpoint.default_version,
                "traffic_revision": endpoint.traffic_revision,
                "version_hosts": endpoint.version_hosts,
                "retained_properties": list(endpoint.spec.retained_properties),
                "declared_replicas": {
                    v.name: v.num_replicas for v in endpoint.spec.versions if v.num_replicas is not None
                },
                "auth_enabled": endpoint.spec.auth_enabled,
                "token_auth_enabled": endpoint.spec.token_auth_enabled,
                **(
                    {"token_issuer": endpoint.token_issuer, "token_audience": endpoint.token_audience}
                    if endpoint.spec.token_auth_enabled
                    else {}
                ),
            }
            for name, endpoint in endpoints.items()
        },
    )
    keys = {name: e.keys for name, e in endpoints.items() if e.keys is not None}
    if keys:
        pulumi.export("keys", pulumi.Output.secret(keys))
    signing = {
        name: {"token_signing_key": e.token_signing_key}
        for name, e in endpoints.items()
        if e.token_signing_key is not None
    }
    if signing:
        pulumi.export("token_signing_keys", pulumi.Output.secret(signing))


def run_program(source_dir: str | Path) -> Deployed:
    """Read `model-endpoints:endpoints` and `model-endpoints:nodePools`, validate, build, export."""
    config = pulumi.Config(PROJECT_NAME)
    spec = load_stack_spec(config.require_object(ENDPOINTS), config.get_object(NODE_POOLS) or [])
    deployed = deploy_stack(spec, source_dir)
    _export(deployed)
    return deployed
