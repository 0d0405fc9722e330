"""One builder of a router's settings and auth material, for a cluster pod and a local process."""

from __future__ import annotations

import hashlib

import pytest

from router.endpoint_router import (
    AGENT_PORT,
    CLUSTER_CONFIG_DIR,
    CLUSTER_ROUTING_DIR,
    HTTP_PORT,
    HTTPS_PORT,
    JWT_KEY_FILE,
    RouterSite,
    auth_material,
    cluster_site,
    render_endpoint_router,
    router_settings,
)
from router.model import StaticReplicas
from router.timeouts import drain_ms
from tests.specs import endpoint, version

HASHES = {
    "primary": hashlib.sha256(b"p").hexdigest(),
    "secondary": hashlib.sha256(b"s").hexdigest(),
}
LOCAL = RouterSite(map_dir="/runs/dev/router/ep", routing_dir="/runs/dev/router/ep/routing",
                   admin_socket="/runs/dev/a.sock", port=8080, metrics_port=9000, agent_port=9001,
                   bind_address="127.0.0.1")


def test_auth_material_is_the_same_at_every_site_but_for_paths() -> None:
    spec = endpoint(version("v1"), token_auth_enabled=True)
    cluster = auth_material(spec, cluster_site(spec), HASHES)
    local = auth_material(spec, LOCAL, HASHES)
    assert cluster.api_keys == local.api_keys
    assert cluster.token is not None and local.token is not None
    assert (cluster.token.issuer, cluster.token.audience) == (spec.token_issuer, spec.token_audience)
    assert (local.token.issuer, local.token.audience) == (spec.token_issuer, spec.token_audience)
    assert cluster.token.public_key_path == f"{CLUSTER_CONFIG_DIR}/{JWT_KEY_FILE}"
    assert local.token.public_key_path == f"/runs/dev/router/ep/{JWT_KEY_FILE}"


def test_auth_without_key_hashes_is_refused() -> None:
    with pytest.raises(ValueError, match="auth_enabled is true but no API key hashes"):
        auth_material(endpoint(version("v1")), LOCAL, None)


def test_the_cluster_site_follows_tls_and_the_ip_family() -> None:
    plain = cluster_site(endpoint(version("v1")))
    assert (plain.port, plain.tls_dir, plain.bind_address) == (HTTP_PORT, None, "0.0.0.0")
    tls = cluster_site(endpoint(version("v1"), router={"tls_secret_name": "t", "ip_family": "IPv6"}))
    assert (tls.port, tls.bind_address, tls.resolve_prefer) == (HTTPS_PORT, "::", "ipv6")
    assert auth_material(endpoint(version("v1"), auth_enabled=False), tls, None).tls_certificate_path
    assert router_settings(tls).bind(HTTPS_PORT) == f":::{HTTPS_PORT} v4v6"


def test_a_local_router_drains_as_long_as_a_cluster_one() -> None:
    spec = endpoint(version("v1"), auth_enabled=False)
    config = render_endpoint_router(
        spec, spec.routing, {"v1": StaticReplicas(("127.0.0.1:9001",))}, None, LOCAL
    )
    assert f"hard-stop-after {drain_ms(spec)}ms" in config.haproxy_cfg
    assert "bind 127.0.0.1:8080" in config.haproxy_cfg


def test_the_routing_table_lives_apart_from_the_configuration_at_every_site() -> None:
    """The split map is read from the routing directory (the routing ConfigMap's mount in a pod),
    and the metrics port forwards /routing to the agent on the site's loopback port."""
    spec = endpoint(version("v1"), auth_enabled=False)
    replicas = {"v1": StaticReplicas(("127.0.0.1:9001",))}
    for site, routing_dir, agent_port in (
        (cluster_site(spec), CLUSTER_ROUTING_DIR, AGENT_PORT),
        (LOCAL, "/runs/dev/router/ep/routing", 9001),
    ):
        config = render_endpoint_router(spec, spec.routing, replicas, None, site)
        assert f"rand(10000),map_int({routing_dir}/split.map,be_v1)" in config.haproxy_cfg
        assert f"server agent 127.0.0.1:{agent_port}" in config.haproxy_cfg
        assert (config.routing_dir, config.agent_port) == (routing_dir, agent_port)
        assert "split.map" not in config.map_files
    assert CLUSTER_ROUTING_DIR != CLUSTER_CONFIG_DIR
