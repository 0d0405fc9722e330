"""The router configuration of an endpoint in a cluster: its replicas by DNS, at a pod's site.

`router.endpoint_router` builds a router's configuration for any site; in a cluster, a version's
replicas are found through its headless Service (one server slot per replica it can have, so
`maxconn` holds per replica), and the router runs at `cluster_site`.
"""

from __future__ import annotations

from collections.abc import Mapping

from components.manifests.serving import service_host
from router.endpoint_router import RouterSite, cluster_site, render_endpoint_router
from router.model import DnsReplicas, RouterConfig
from specification.endpoint import EndpointSpec
from specification.routing import RoutingTable

__all__ = ["cluster_router_config", "version_replicas"]


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


def cluster_router_config(
    spec: EndpointSpec,
    routing: RoutingTable,
    key_hashes: Mapping[str, str] | None,
    site: RouterSite | None = None,
) -> RouterConfig:
    """The configuration a router pod of `spec` runs, routing by `routing` (`site`: the pod's,
    unless a test moves its directories)."""
    return render_endpoint_router(
        spec, routing, version_replicas(spec), key_hashes, site or cluster_site(spec)
    )
