"""Router component: the endpoint's front door, HAProxy rendered from the spec.

Splits traffic by the endpoint's routing table (weights, default version and A/B roles, all from
the TrafficSplit), checks API keys (by hash) and JWTs, queues and times out requests per version,
and serves Prometheus metrics. Its inputs are outputs of other resources (the routing table, key
hashes, the token public key), so the configuration is rendered once they are known; in a preview
with unknown inputs the ConfigMap shows as computed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components.kubernetes_objects import create_object
from components.manifests.router import (
    agent_code_checksum,
    agent_config_map,
    config_checksum,
    config_map_data,
    router_autoscaler,
    router_config_map,
    router_deployment,
    router_disruption_budget,
    router_network_policy,
    router_secret,
    router_service,
    routing_config_map,
    scoring_url,
    secret_data,
)
from components.options import child_options
from components.router_config import agent_files, cluster_router_config, routing_data
from specification.endpoint import EndpointSpec
from specification.routing import RoutingTable

__all__ = ["Router", "RouterArgs"]


@dataclass(frozen=True)
class RouterArgs:
    """What the router is rendered from. `routing`: the endpoint's routing table (a
    TrafficSplit's `routing()`) and `routing_revision` its revision (the routing ConfigMap is
    created with them; after that only the TrafficSplit writes it); `key_hashes`: `{"primary": hex, "secondary": hex}` SHA-256
    digests (required when `auth_enabled`); `token_public_key_pem`: the ES256 public key
    (required when `token_auth_enabled`)."""

    endpoint: EndpointSpec
    routing: pulumi.Input[RoutingTable]
    routing_revision: pulumi.Input[int]
    key_hashes: pulumi.Input[Mapping[str, str]] | None = None
    token_public_key_pem: pulumi.Input[str] | None = None

    def __post_init__(self) -> None:
        if self.endpoint.auth_enabled and self.key_hashes is None:
            raise ValueError(f"endpoint {self.endpoint.name}: auth_enabled needs key_hashes")
        if self.endpoint.token_auth_enabled and self.token_public_key_pem is None:
            raise ValueError(f"endpoint {self.endpoint.name}: token_auth_enabled needs token_public_key_pem")


class Router(pulumi.ComponentResource):
    """HAProxy Deployment, ConfigMap, Secret, Service, HPA, PDB and NetworkPolicy of one endpoint."""

    scoring_url: pulumi.Output[str]
    config_checksum: pulumi.Output[str]

    def __init__(
        self, name: str, args: RouterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        """`opts.depends_on` (the namespace) reaches every child."""
        super().__init__("model-endpoints:index:Router", name, None, opts)
        spec = args.endpoint
        rendered = pulumi.Output.all(
            pulumi.Output.from_input(args.routing),
            pulumi.Output.from_input(args.key_hashes),
            pulumi.Output.from_input(args.token_public_key_pem),
        ).apply(
            lambda values: (
                cluster_router_config(spec, values[0], values[1]),
                values[2],
            )
        )
        config = rendered.apply(lambda pair: pair[0])
        agent_code = agent_files()
        agent_digest = agent_code_checksum(agent_code)
        self.config_checksum = rendered.apply(
            lambda pair: config_checksum(pair[0], pair[1], agent_digest)
        )
        child = child_options(self, opts)

        self.config_map = create_object(
            f"{name}-config", router_config_map(spec, config.apply(config_map_data)), child
        )
        # The routing table: created with the TrafficSplit's table, then written only by the
        # TrafficSplit (one writer), so Pulumi ignores its data after creation.
        table = pulumi.Output.all(
            pulumi.Output.from_input(args.routing), pulumi.Output.from_input(args.routing_revision)
        ).apply(lambda values: routing_data(values[0], int(values[1])))
        self.routing_config_map = create_object(
            f"{name}-routing",
            routing_config_map(spec, table),
            pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(ignore_changes=["data"])),
        )
        self.agent_config_map = create_object(
            f"{name}-agent", agent_config_map(spec, agent_code), child
        )

        depends: list[pulumi.Resource] = [
            self.config_map,
            self.routing_config_map,
            self.agent_config_map,
        ]
        self.secret = None
        if spec.auth_enabled or spec.token_auth_enabled:
            values: pulumi.Output[dict[str, str]] = rendered.apply(
                lambda pair: secret_data(spec, pair[0], pair[1])
            )
            data: pulumi.Output[dict[str, str]] = pulumi.Output.secret(values)
            self.secret = create_object(f"{name}-secret", router_secret(spec, data), child)
            depends.append(self.secret)

        self.deployment = create_object(
            f"{name}-deployment",
            router_deployment(spec, self.config_checksum),
            child_options(self, opts, *depends),
        )
        self.service = create_object(f"{name}-service", router_service(spec), child)
        self.autoscaler = create_object(
            f"{name}-autoscaler",
            router_autoscaler(spec),
            child_options(self, opts, self.deployment),
        )
        self.disruption_budget = create_object(f"{name}-pdb", router_disruption_budget(spec), child)
        self.network_policy = create_object(
            f"{name}-network-policy", router_network_policy(spec), child
        )
        if spec.router.service_type == "LoadBalancer":
            # The address exists once the cloud has provisioned the load balancer.
            self.scoring_url = self.service.status.apply(  # type: ignore[attr-defined]
                lambda status: scoring_url(spec, _ingress_host(status))
            )
        else:
            self.scoring_url = pulumi.Output.from_input(scoring_url(spec))
        self.register_outputs({"scoring_url": self.scoring_url, "config_checksum": self.config_checksum})


def _field(value: Any, name: str) -> Any:
    """`name` of a typed output object, or of a dict (snake_case or camelCase key)."""
    if isinstance(value, dict):
        camel = name.split("_")[0] + "".join(part.title() for part in name.split("_")[1:])
        return value.get(name, value.get(camel))
    return getattr(value, name, None)


def _ingress_host(status: Any) -> str | None:
    """The load balancer's address once the cloud has assigned one (None before)."""
    ingress = _field(_field(status, "load_balancer"), "ingress") if status else None
    if not ingress:
        return None
    return _field(ingress[0], "hostname") or _field(ingress[0], "ip")
