"""The router configuration of an endpoint in a cluster: its replicas by DNS, at a pod's site.

`router.endpoint_router` builds a router's configuration for any site; in a cluster, a version's
replicas are found through its headless Service (one server slot per replica it can have, so
`maxconn` holds per replica), its green replicas (while it is replaced blue/green) through the
green Service, and the router runs at `cluster_site`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import router_agent
from components.manifests.serving import service_host
from kube_adapter.names import green_object_name
from router.endpoint_router import RouterSite, cluster_site, render_endpoint_router
from router.model import DnsReplicas, RouterConfig
from router.split import render_split_map
from router_agent.routing_dir import routing_files
from specification.endpoint import EndpointSpec
from specification.routing import RoutingTable

__all__ = [
    "agent_files",
    "cluster_router_config",
    "green_replicas",
    "routing_data",
    "version_replicas",
]


def version_replicas(spec: EndpointSpec, cluster_domain: str = "cluster.local") -> dict[str, DnsReplicas]:
    """Each version's replicas, found through its headless Service by DNS."""
    return {
        version.name: DnsReplicas(
            service=service_host(spec, version, cluster_domain),
            port=version.port,
            max_replicas=version.max_replicas,
        )
        for version in spec.versions
    }


def green_replicas(spec: EndpointSpec, cluster_domain: str = "cluster.local") -> dict[str, DnsReplicas]:
    """Each version's green replicas, through the headless Service a blue/green replacement
    creates (`components.manifests.green`), for an endpoint whose version updates are guarded
    (a `blue_green_update_policy`, or a `rolling_update_policy` with alarms; none otherwise). Its router keeps a `be_<v>_green` backend for every version: the name
    resolves to nothing (no server up) except while `v` is replaced, and a replacement then
    needs no router restart. Setting the policy rolls the router pods once."""
    config = spec.deployment_config
    if config is None or not config.guards_version_updates:
        return {}
    return {
        version.name: DnsReplicas(
            service=f"{green_object_name(spec.name, version.name)}.{spec.effective_namespace}"
            f".svc.{cluster_domain}",
            port=version.port,
            max_replicas=version.max_replicas,
        )
        for version in spec.versions
    }


def agent_files() -> dict[str, str]:
    """The routing agent's code as the agent ConfigMap holds it: `router_agent`'s modules by file
    name (standard library only, so any Python image runs them)."""
    package = Path(router_agent.__file__).resolve().parent
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(package.glob("*.py"))}


def routing_data(routing: RoutingTable, revision: int) -> dict[str, str]:
    """The routing ConfigMap's data for `routing` at `revision`: what the agent reads."""
    return routing_files(render_split_map(routing), revision)


def cluster_router_config(
    spec: EndpointSpec,
    routing: RoutingTable,
    key_hashes: Mapping[str, str] | None,
    site: RouterSite | None = None,
) -> RouterConfig:
    """The configuration a router pod of `spec` runs, routing by `routing` (`site`: the pod's,
    unless a test moves its directories)."""
    return render_endpoint_router(
        spec,
        routing,
        version_replicas(spec),
        key_hashes,
        site or cluster_site(spec),
        green_replicas(spec),
    )
