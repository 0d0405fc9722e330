"""Where a version's replicas are in a cluster: its headless Service, by DNS.

The Router component needs one `DnsReplicas` per version; deriving them here keeps the Service
naming (`<endpoint>-<version>` in the endpoint's namespace) and the slot count (the version's
most replicas) in one place, next to the renderer that turns them into `server-template` lines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from router.model import DnsReplicas
from router.validation import check_dns_name

if TYPE_CHECKING:
    from components.spec import EndpointSpec

__all__ = ["headless_service_replicas"]


def headless_service_replicas(
    spec: EndpointSpec,
    service_name: Callable[[str], str] | None = None,
    cluster_domain: str = "cluster.local",
) -> dict[str, DnsReplicas]:
    """`{version: DnsReplicas}` for the versions' headless Services.

    `service_name(version)` gives a version's Service name (default `<endpoint>-<version>`);
    the port is the version's container port (a headless Service resolves to pod IPs), and the
    number of server slots is the version's `max_replicas`.
    """
    check_dns_name(cluster_domain, "cluster_domain")
    name_of = service_name or (lambda version: f"{spec.name}-{version}")
    namespace = spec.effective_namespace
    return {
        version.name: DnsReplicas(
            service=f"{name_of(version.name)}.{namespace}.svc.{cluster_domain}",
            port=version.port,
            max_replicas=version.max_replicas,
        )
        for version in spec.versions
    }
