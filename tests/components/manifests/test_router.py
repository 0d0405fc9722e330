"""The router's Kubernetes objects, and the very configuration they carry checked by real haproxy."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from components.manifests.labels import router_selector
from components.manifests.router import (
    API_KEYS_MAP,
    config_checksum,
    config_map_data,
    precheck_script,
    router_autoscaler,
    router_config_map,
    router_deployment,
    router_disruption_budget,
    router_network_policy,
    router_secret,
    router_service,
    scoring_url,
    secret_data,
)
from components.router_config import cluster_router_config, version_replicas
from router.endpoint_router import cluster_site
from router_agent.routing_dir import routing_files, write_generation
from specification.routing import RoutingTable
from tests.kubernetes_schema import validate_manifest
from tests.router.tls_material import self_signed_pem
from tests.specs import endpoint, routed, version

PRIMARY, SECONDARY = "primary-key-value", "secondary-key-value"
HASHES = {
    "primary": hashlib.sha256(PRIMARY.encode()).hexdigest(),
    "secondary": hashlib.sha256(SECONDARY.encode()).hexdigest(),
}


def _public_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _spec(**fields: Any):  # type: ignore[no-untyped-def]
    return endpoint(
        version("v1", traffic_percentile=20, is_control_version_type=True),
        version("v2", traffic_percentile=10, autoscale_max_replicas=4),
        **fields,
    )


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"auth_enabled": False},
        {"token_auth_enabled": True},
        {"router": {"tls_secret_name": "scoring-tls", "service_type": "LoadBalancer",
                    "load_balancer_source_ranges": ["10.0.0.0/8"], "service_annotations": {"a/b": "c"}}},
        {"router": {"ip_family": "IPv6"}},
        {"router": {"ip_family": "DualStack", "service_type": "LoadBalancer", "allow_plaintext_credentials": True}},
        {"router": {"metrics_sources": [{"cidr": "10.0.0.0/8"}, {"pod_labels": {"app": "prometheus"}}]}},
        {"router": {"metrics_sources": []}},
    ],
)
def test_every_router_object_validates(fields: dict[str, Any]) -> None:
    spec = _spec(**fields)
    pem = _public_pem() if spec.token_auth_enabled else None
    config = cluster_router_config(spec, spec.routing, HASHES)
    for manifest in (
        router_config_map(spec, config_map_data(config)),
        router_secret(spec, secret_data(spec, config, pem)),
        router_deployment(spec, config_checksum(config, pem)),
        router_service(spec),
        router_autoscaler(spec),
        router_disruption_budget(spec),
        router_network_policy(spec),
    ):
        validate_manifest(manifest)


@pytest.mark.parametrize(
    ("family", "binds", "prefer", "service_fields"),
    [
        ("IPv4", ["bind 0.0.0.0:8405", "bind 0.0.0.0:8080"], "ipv4", {}),
        (
            "IPv6",
            ["bind :::8405 v4v6", "bind :::8080 v4v6"],
            "ipv6",
            {"ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv6"]},
        ),
        (
            "DualStack",
            ["bind :::8405 v4v6", "bind :::8080 v4v6"],
            "ipv4",
            {"ipFamilyPolicy": "RequireDualStack", "ipFamilies": ["IPv4", "IPv6"]},
        ),
    ],
)
def test_ip_family_sets_listening_resolution_and_service(
    family: str, binds: list[str], prefer: str, service_fields: dict[str, Any]
) -> None:
    spec = _spec(router={"ip_family": family})
    cfg = cluster_router_config(spec, spec.routing, HASHES).haproxy_cfg
    assert [line.strip() for line in cfg.splitlines() if line.startswith("    bind ")] == binds
    assert cfg.count(f"resolve-prefer {prefer} ") == len(spec.versions)
    service = router_service(spec)["spec"]
    assert {k: service[k] for k in ("ipFamilyPolicy", "ipFamilies") if k in service} == service_fields


def test_versions_are_discovered_per_replica_through_their_headless_services() -> None:
    spec = _spec()
    replicas = version_replicas(spec)
    assert replicas["v1"].service == "ep-v1.ep.svc.cluster.local"
    assert replicas["v2"].max_replicas == 4
    config = cluster_router_config(spec, spec.routing, HASHES)
    assert "server-template r 1-4 ep-v2.ep.svc.cluster.local:5001 resolvers cluster" in config.haproxy_cfg


BLUE_GREEN = {
    "blue_green_update_policy": {
        "traffic_routing_configuration": {"type": "ALL_AT_ONCE", "wait_interval_in_seconds": 0}
    }
}


def test_under_a_blue_green_policy_every_version_has_a_green_backend_on_its_green_service() -> None:
    spec = _spec(deployment_config=BLUE_GREEN)
    cfg = cluster_router_config(spec, spec.routing, HASHES).haproxy_cfg
    for name, most in (("v1", 10), ("v2", 4)):
        section = cfg[cfg.index(f"backend be_{name}_green\n") :].split("\n\n")[0]
        assert (
            f"server-template r 1-{most} ep-{name}-green.ep.svc.cluster.local:5001 resolvers cluster"
            in section
        )
        assert f"set-header x-model-version {name}" in section.lower()
    # and a table sending part of v2 to its green pods renders against the same backends
    table = RoutingTable({"v1": 2000, "v2": 0, "v2_green": 8000}, "v2", "v1")
    assert "be_v2_green" in cluster_router_config(spec, table, HASHES).split_map
    # without a policy there is no green backend at all
    plain = _spec()
    assert "_green" not in cluster_router_config(plain, plain.routing, HASHES).haproxy_cfg


def test_key_material_is_only_in_the_secret_and_only_as_hashes() -> None:
    spec = _spec(token_auth_enabled=True)
    pem = _public_pem()
    config = cluster_router_config(spec, spec.routing, HASHES)
    public = config_map_data(config)
    secret = secret_data(spec, config, pem)
    assert API_KEYS_MAP not in public
    assert set(secret) == {API_KEYS_MAP, "jwt-public.pem"}
    everything = "".join(public.values()) + "".join(secret.values())
    assert PRIMARY not in everything and SECONDARY not in everything
    assert HASHES["primary"] in secret[API_KEYS_MAP] and HASHES["secondary"] in secret[API_KEYS_MAP]


def test_changed_traffic_leaves_the_checksum_that_rolls_the_pods_alone() -> None:
    """Weights are applied live by the routing agent: neither the pods' checksum nor the config
    ConfigMap changes with them; the split map is exposed apart, for the routing ConfigMap."""
    spec = _spec()
    before = cluster_router_config(spec, routed(spec, {"v1": 90.0, "v2": 10.0}), HASHES)
    after = cluster_router_config(spec, routed(spec, {"v1": 60.0, "v2": 40.0}), HASHES)
    assert config_checksum(before, None) == config_checksum(after, None)
    assert config_map_data(before) == config_map_data(after)
    assert "split.map" not in config_map_data(after)
    assert before.split_map != after.split_map and "be_v2" in after.split_map
    assert after.split_map_path == "/usr/local/etc/haproxy-routing/split.map"
    # what the pods run still rolls them: the configuration, a key hash, the token key
    slower = endpoint(version("v1", traffic_percentile=20, is_control_version_type=True),
                      version("v2", traffic_percentile=10, scoring_timeout_ms=1000))
    assert config_checksum(cluster_router_config(slower, slower.routing, HASHES), None) != (
        config_checksum(cluster_router_config(spec, spec.routing, HASHES), None)
    )
    rotated = {**HASHES, "primary": hashlib.sha256(b"rotated").hexdigest()}
    assert config_checksum(cluster_router_config(spec, spec.routing, rotated), None) != (
        config_checksum(before, None)
    )
    assert config_checksum(before, "-----BEGIN PUBLIC KEY-----") != config_checksum(before, None)
    pod = router_deployment(spec, "abc")["spec"]["template"]
    assert pod["metadata"]["annotations"]["model-endpoints.io/config-sha256"] == "abc"


def test_deployment_is_highly_available_and_locked_down() -> None:
    spec = _spec()
    deployment = router_deployment(spec, "x")
    pod = deployment["spec"]["template"]["spec"]
    assert deployment["spec"]["template"]["metadata"]["labels"].items() >= router_selector("ep").items()
    term = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
    assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert "replicas" not in deployment["spec"]  # the HPA owns the count
    container = pod["containers"][0]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["initContainers"][0]["command"][2].endswith("haproxy -c -q -f /usr/local/etc/haproxy/haproxy.cfg")
    hpa = router_autoscaler(spec)["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 10)
    # the default scoring_timeout_ms (60 s) + queue wait (0.5 s) finish before the pod is killed
    assert pod["terminationGracePeriodSeconds"] >= 61
    # one HAProxy thread per pod, so a replica never gets more than its maxconn
    config = cluster_router_config(spec, spec.routing, HASHES)
    assert "\n    nbthread 1\n" in config.haproxy_cfg


def test_router_needs_at_least_two_replicas() -> None:
    with pytest.raises(ValueError, match="min_replicas"):
        _spec(router={"min_replicas": 1})


@pytest.mark.parametrize(
    ("fields", "host", "url"),
    [
        ({}, None, "http://ep-router.ep.svc.cluster.local/score"),
        ({"router": {"service_type": "LoadBalancer", "allow_plaintext_credentials": True}}, "20.1.2.3", "http://20.1.2.3/score"),
        ({"router": {"tls_secret_name": "tls"}}, None, "https://ep-router.ep.svc.cluster.local/score"),
    ],
)
def test_scoring_url(fields: dict[str, Any], host: str | None, url: str) -> None:
    assert scoring_url(_spec(**fields), host) == url


def _write_cluster_files(tmp_path: Path, spec: Any, pem: str | None) -> tuple[Path, Any]:
    config_dir, tls_dir, run_dir = tmp_path / "etc", tmp_path / "tls", tmp_path / "run"
    routing_dir = tmp_path / "routing"
    for directory in (config_dir, tls_dir, run_dir):
        directory.mkdir()
    site = cluster_site(spec, str(config_dir), str(run_dir), str(tls_dir), str(routing_dir))
    config = cluster_router_config(spec, spec.routing, HASHES if spec.auth_enabled else None, site)
    files = {**config_map_data(config), **secret_data(spec, config, pem)}
    for name, text in files.items():
        (config_dir / name).write_text(text)
    # the routing ConfigMap's volume, as kubelet lays it out
    write_generation(routing_dir, routing_files(config.split_map, 1))
    return config_dir, config


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"token_auth_enabled": True},
        {"auth_enabled": False, "router": {"tls_secret_name": "t"}},
        {"router": {"ip_family": "DualStack"}},
        {"deployment_config": BLUE_GREEN},
    ],
)
def test_precheck_passes_the_cluster_config_with_real_haproxy(tmp_path: Path, fields: dict[str, Any]) -> None:
    spec = _spec(**fields)
    pem = _public_pem() if spec.token_auth_enabled else None
    config_dir, _ = _write_cluster_files(tmp_path, spec, pem)
    source = tmp_path / "tls-source"
    source.mkdir()
    material = self_signed_pem().decode()
    cut = material.index("-----BEGIN PRIVATE KEY-----")
    (source / "tls.crt").write_text(material[:cut])
    (source / "tls.key").write_text(material[cut:])
    script = precheck_script(spec, str(config_dir), str(source), str(tmp_path / "tls"))
    result = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def test_precheck_fails_closed_without_the_jwt_key(tmp_path: Path) -> None:
    spec = _spec(token_auth_enabled=True)
    config_dir, _ = _write_cluster_files(tmp_path, spec, None)
    # haproxy -c alone accepts the config although the key file is absent
    alone = subprocess.run(
        ["haproxy", "-c", "-q", "-f", str(config_dir / "haproxy.cfg")], capture_output=True, text=True, timeout=30
    )
    assert alone.returncode == 0, alone.stderr
    script = precheck_script(spec, str(config_dir))
    result = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "JWT public key" in result.stderr and "missing" in result.stderr


def test_the_metrics_port_admits_only_the_declared_sources_and_scoring_stays_open() -> None:
    default = router_network_policy(_spec())["spec"]
    assert default["podSelector"] == {"matchLabels": router_selector("ep")}
    scoring, metrics = default["ingress"]
    assert scoring == {"ports": [{"protocol": "TCP", "port": 8080}]}  # no `from`: every source
    assert metrics["ports"] == [{"protocol": "TCP", "port": 8405}]
    assert metrics["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    ]
    sources = [{"namespace": "obs", "pod_labels": {"app": "prometheus"}}, {"cidr": "10.1.0.0/16"}]
    custom = router_network_policy(_spec(router={"metrics_sources": sources}))["spec"]["ingress"][1]
    assert custom["from"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "obs"}},
            "podSelector": {"matchLabels": {"app": "prometheus"}},
        },
        {"ipBlock": {"cidr": "10.1.0.0/16"}},
    ]
    tls = router_network_policy(_spec(router={"tls_secret_name": "t"}))["spec"]["ingress"][0]
    assert tls["ports"] == [{"protocol": "TCP", "port": 8443}]


def test_no_metrics_source_means_no_rule_that_would_admit_everyone() -> None:
    """An ingress rule with no `from` admits every source: nobody means no rule at all."""
    (scoring,) = router_network_policy(_spec(router={"metrics_sources": []}))["spec"]["ingress"]
    assert scoring["ports"] == [{"protocol": "TCP", "port": 8080}]
