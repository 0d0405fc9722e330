"""One endpoint's router as it runs in a cluster pod or as a local process: settings, auth, config.

Both places run the same HAProxy configuration; only where its files live and which addresses it
listens on differ, and a `RouterSite` says that. From a site, the endpoint spec, its routing table,
where the replicas are and the API key hashes, this module builds the router's settings, the auth
material it holds (key hashes, the token public key's path, the TLS file's path: never a secret)
and its rendered configuration. Kubernetes objects are built elsewhere (`components.manifests`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from router.model import (
    ALL_ADDRESSES_DUAL,
    ApiKeyHashes,
    AuthMaterial,
    Replicas,
    RouterConfig,
    RouterSettings,
    TokenVerification,
)
from router.render import render_router
from specification.endpoint import EndpointSpec
from specification.routing import RoutingTable

__all__ = [
    "AGENT_PORT",
    "CLUSTER_CONFIG_DIR",
    "CLUSTER_ROUTING_DIR",
    "CLUSTER_RUN_DIR",
    "CLUSTER_TLS_DIR",
    "CONFIG_FILE",
    "HTTPS_PORT",
    "HTTP_PORT",
    "JWT_KEY_FILE",
    "METRICS_PORT",
    "TLS_FILE",
    "RouterSite",
    "auth_material",
    "cluster_site",
    "render_endpoint_router",
    "router_settings",
]

CONFIG_FILE = "haproxy.cfg"
JWT_KEY_FILE = "jwt-public.pem"  # the token public key, next to the maps
TLS_FILE = "tls.pem"  # certificate chain and private key in one PEM file, as HAProxy reads it
ADMIN_SOCKET_FILE = "admin.sock"
# A cluster pod: the official image's configuration directory, the routing ConfigMap's own mount
# (so a routing change is not a configuration change), a writable run directory, and an
# in-memory directory where the TLS file is assembled from the kubernetes.io/tls Secret.
CLUSTER_CONFIG_DIR = "/usr/local/etc/haproxy"
CLUSTER_ROUTING_DIR = "/usr/local/etc/haproxy-routing"
CLUSTER_RUN_DIR = "/var/lib/haproxy"
CLUSTER_TLS_DIR = "/run/haproxy-tls"
HTTP_PORT, HTTPS_PORT, METRICS_PORT = 8080, 8443, 8405
AGENT_PORT = 8406  # the routing agent, on the pod's loopback only


@dataclass(frozen=True)
class RouterSite:
    """Where one router runs: its files and its addresses."""

    map_dir: str  # the maps and the token public key
    routing_dir: str  # the routing table: split.map and revision, as a ConfigMap volume lays them
    admin_socket: str
    port: int
    metrics_port: int
    agent_port: int  # the routing agent's, on 127.0.0.1
    bind_address: str = "0.0.0.0"
    resolve_prefer: Literal["ipv4", "ipv6"] = "ipv4"
    tls_dir: str | None = None  # where TLS_FILE is; None: the router serves plain HTTP
    request_log: bool = True  # each request logged to the routing agent (router.request_times)


def cluster_site(
    spec: EndpointSpec,
    config_dir: str = CLUSTER_CONFIG_DIR,
    run_dir: str = CLUSTER_RUN_DIR,
    tls_dir: str = CLUSTER_TLS_DIR,
    routing_dir: str = CLUSTER_ROUTING_DIR,
) -> RouterSite:
    """A router pod of `spec` (the directories are parameters only so tests can check the very
    same text with `haproxy -c` elsewhere)."""
    ip_family = spec.router.ip_family
    return RouterSite(
        map_dir=config_dir,
        routing_dir=routing_dir,
        admin_socket=f"{run_dir}/{ADMIN_SOCKET_FILE}",
        port=HTTPS_PORT if spec.router.tls else HTTP_PORT,
        metrics_port=METRICS_PORT,
        agent_port=AGENT_PORT,
        bind_address="0.0.0.0" if ip_family == "IPv4" else ALL_ADDRESSES_DUAL,
        resolve_prefer="ipv6" if ip_family == "IPv6" else "ipv4",
        tls_dir=tls_dir if spec.router.tls else None,
        request_log=spec.router.request_times,
    )


def router_settings(site: RouterSite) -> RouterSettings:
    """The renderer's settings for a router at `site`."""
    return RouterSettings(
        bind_address=site.bind_address,
        resolve_prefer=site.resolve_prefer,
        port=site.port,
        metrics_port=site.metrics_port,
        map_dir=site.map_dir,
        routing_dir=site.routing_dir,
        admin_socket=site.admin_socket,
        agent_port=site.agent_port,
        access_log="stdout",
        request_log=site.request_log,
    )


def auth_material(
    spec: EndpointSpec, site: RouterSite, key_hashes: Mapping[str, str] | None
) -> AuthMaterial:
    """What the router holds to authenticate: the API keys' SHA-256 hashes iff `auth_enabled`
    (`{"primary": hex, "secondary": hex}`, required then), the token public key's path with the
    spec's issuer and audience iff `token_auth_enabled`, and the TLS file's path at a TLS site."""
    if spec.auth_enabled and key_hashes is None:
        raise ValueError(f"endpoint {spec.name}: auth_enabled is true but no API key hashes were given")
    return AuthMaterial(
        api_keys=(
            ApiKeyHashes(primary=key_hashes["primary"], secondary=key_hashes["secondary"])
            if spec.auth_enabled and key_hashes is not None
            else None
        ),
        token=(
            TokenVerification(
                public_key_path=f"{site.map_dir}/{JWT_KEY_FILE}",
                issuer=spec.token_issuer,
                audience=spec.token_audience,
            )
            if spec.token_auth_enabled
            else None
        ),
        tls_certificate_path=f"{site.tls_dir}/{TLS_FILE}" if site.tls_dir is not None else None,
    )


def render_endpoint_router(
    spec: EndpointSpec,
    routing: RoutingTable,
    replicas: Mapping[str, Replicas],
    key_hashes: Mapping[str, str] | None,
    site: RouterSite,
    green: Mapping[str, Replicas] | None = None,
) -> RouterConfig:
    """The configuration of `spec`'s router at `site`, routing by `routing` (with the new
    replicas of versions being replaced blue/green, `green`: see `render_router`)."""
    return render_router(
        spec, routing, replicas, auth_material(spec, site, key_hashes), router_settings(site), green
    )
