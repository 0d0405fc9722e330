"""The router's Kubernetes objects: HAProxy and agent Deployment, ConfigMaps, Secret, Service, HPA,
PDB and NetworkPolicy.

The configuration they carry is built by `router.endpoint_router` (the same builder local mode
uses); this module only decides how it reaches the pods: which object holds which file, how the
files are checked before HAProxy starts (our own fail-closed check: `haproxy -c` does not notice a
missing JWT key), and how a changed configuration rolls the pods.

The routing table is not in the configuration ConfigMap nor in the checksum: it lives in the
routing ConfigMap (`split.map` and `revision`), mounted at `CLUSTER_ROUTING_DIR`, whose data only
the TrafficSplit writes after creation; the routing agent, a sidecar beside HAProxy running the
`router_agent` package (mounted from the agent ConfigMap into a plain Python image), sees kubelet
swap the mounted files and applies the new table through HAProxy's runtime API. A weight change
therefore never restarts a router pod.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components.manifests.labels import (
    COMPONENT_LABEL,
    endpoint_labels,
    router_selector,
)
from components.manifests.quantities import cpu_quantity, memory_quantity
from router.endpoint_router import (
    AGENT_PORT,
    CLUSTER_CONFIG_DIR,
    CLUSTER_ROUTING_DIR,
    CLUSTER_RUN_DIR,
    CLUSTER_TLS_DIR,
    CONFIG_FILE,
    JWT_KEY_FILE,
    METRICS_PORT,
    TLS_FILE,
    cluster_site,
)
from router.model import RouterConfig
from router.names import API_KEYS_MAP, SPLIT_MAP, request_log_socket
from router.timeouts import PRE_STOP_DELAY_SECONDS, termination_grace_seconds
from router_agent.command_line import AgentOptions, agent_arguments
from specification.endpoint import EndpointSpec
from specification.router import MetricsSource

__all__ = [
    "TLS_SOURCE_DIR",
    "router_name",
    "config_checksum",
    "precheck_script",
    "config_map_data",
    "secret_data",
    "router_config_map",
    "routing_config_map",
    "agent_config_map",
    "agent_code_checksum",
    "router_secret",
    "router_deployment",
    "router_service",
    "router_autoscaler",
    "router_disruption_budget",
    "router_network_policy",
    "scoring_url",
]

TLS_SOURCE_DIR = "/etc/haproxy-tls-source"  # where the kubernetes.io/tls Secret is mounted
HAPROXY_UID = 99  # the `haproxy` user of the official image
AGENT_CODE_DIR = "/opt/model-endpoints"  # PYTHONPATH of the agent sidecar: router_agent/ lies here
AGENT_PACKAGE = "router_agent"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"  # set by Kubernetes on every namespace


def router_name(spec: EndpointSpec) -> str:
    return f"{spec.name}-router"


def config_checksum(config: RouterConfig, public_key_pem: str | None, agent_code: str = "") -> str:
    """Digest of everything the pods read at start but the routing table: a change rolls them
    (HAProxy reads files at start, the agent its code); a weight change does not (the routing
    agent applies it). `agent_code`: `agent_code_checksum` of the agent's files."""
    text = f"{config.checksum()}\0{public_key_pem or ''}\0{agent_code}"
    return hashlib.sha256(text.encode()).hexdigest()


def agent_code_checksum(files: Mapping[str, str]) -> str:
    """Digest of the agent's files (the agent ConfigMap's data)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return digest.hexdigest()


def _metadata(spec: EndpointSpec, suffix: str = "") -> dict[str, Any]:
    return {
        "name": f"{router_name(spec)}{suffix}",
        "namespace": spec.effective_namespace,
        "labels": {**endpoint_labels(spec.name), COMPONENT_LABEL: "router"},
    }


def config_map_data(config: RouterConfig) -> dict[str, str]:
    """haproxy.cfg and the pinning map (nothing secret: no key material). Not the split map: the
    routing table lives in its own ConfigMap, so a weight change changes nothing here."""
    data = {CONFIG_FILE: config.haproxy_cfg}
    data.update({name: text for name, text in config.map_files.items() if name != API_KEYS_MAP})
    return data


def secret_data(spec: EndpointSpec, config: RouterConfig, public_key_pem: str | None) -> dict[str, str]:
    """API key hashes and the token public key: never a key itself."""
    data: dict[str, str] = {}
    if API_KEYS_MAP in config.map_files:
        data[API_KEYS_MAP] = config.map_files[API_KEYS_MAP]
    if public_key_pem is not None and spec.token_auth_enabled:
        data[JWT_KEY_FILE] = public_key_pem
    return data


def router_config_map(spec: EndpointSpec, data: Any) -> dict[str, Any]:
    """The ConfigMap holding `data` (from `config_map_data`, possibly an output)."""
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _metadata(spec), "data": data}


def routing_config_map(spec: EndpointSpec, data: Any) -> dict[str, Any]:
    """The routing table's ConfigMap (`split.map` and `revision`, possibly an output): created
    with the TrafficSplit's table; after that only the TrafficSplit writes its data."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _metadata(spec, "-routing"),
        "data": data,
    }


def agent_config_map(spec: EndpointSpec, files: Mapping[str, str]) -> dict[str, Any]:
    """The routing agent's code (`router_agent`'s files, standard library only), which the
    sidecar runs in a plain Python image."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _metadata(spec, "-agent"),
        "data": dict(files),
    }


def _agent_container(spec: EndpointSpec, security: dict[str, Any]) -> dict[str, Any]:
    site = cluster_site(spec)
    options = AgentOptions(
        routing_dir=Path(CLUSTER_ROUTING_DIR),
        admin_socket=site.admin_socket,
        map_path=f"{CLUSTER_ROUTING_DIR}/{SPLIT_MAP}",
        host="127.0.0.1",
        port=AGENT_PORT,
        request_log=request_log_socket(site.admin_socket) if site.request_log else None,
    )
    return {
        "name": "routing-agent",
        "image": spec.router.agent_image,
        "command": ["python", "-m", AGENT_PACKAGE, *agent_arguments(options)],
        "env": [
            {"name": "PYTHONPATH", "value": AGENT_CODE_DIR},
            {"name": "PYTHONDONTWRITEBYTECODE", "value": "1"},
            {"name": "PYTHONUNBUFFERED", "value": "1"},
        ],
        # the admin socket is HAProxy's (mode 600): the agent runs as the same user
        "securityContext": security,
        "resources": {
            "requests": {"cpu": "10m", "memory": "32Mi"},
            "limits": {"memory": "64Mi"},
        },
        "volumeMounts": [
            {"name": "routing", "mountPath": CLUSTER_ROUTING_DIR, "readOnly": True},
            {"name": "agent-code", "mountPath": f"{AGENT_CODE_DIR}/{AGENT_PACKAGE}", "readOnly": True},
            {"name": "run", "mountPath": CLUSTER_RUN_DIR},
        ],
    }


def router_secret(spec: EndpointSpec, data: Any) -> dict[str, Any]:
    """The Secret holding `data` (from `secret_data`, possibly an output)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _metadata(spec),
        "type": "Opaque",
        "stringData": data,
    }


def precheck_script(
    spec: EndpointSpec,
    config_dir: str = CLUSTER_CONFIG_DIR,
    tls_source_dir: str = TLS_SOURCE_DIR,
    tls_dir: str = CLUSTER_TLS_DIR,
) -> str:
    """The init container's shell script. Fails closed before HAProxy starts: assembles the TLS
    file from the `kubernetes.io/tls` Secret, requires the JWT public key (a missing key file
    passes `haproxy -c`), then runs `haproxy -c`."""
    steps = ["set -eu"]
    if spec.router.tls:
        steps.append(f"cat {tls_source_dir}/tls.crt {tls_source_dir}/tls.key > {tls_dir}/{TLS_FILE}")
    if spec.token_auth_enabled:
        key = f"{config_dir}/{JWT_KEY_FILE}"
        steps.append(
            f'grep -q "BEGIN PUBLIC KEY" {key} 2>/dev/null || '
            f'{{ echo "router: JWT public key {key} is missing or not a PEM public key" >&2; exit 1; }}'
        )
    steps.append(f"haproxy -c -q -f {config_dir}/{CONFIG_FILE}")
    return "\n".join(steps)


def router_deployment(spec: EndpointSpec, checksum: Any) -> dict[str, Any]:
    """HAProxy pods, spread over nodes, rolled when `checksum` (the config digest) changes."""
    router = spec.router
    port = cluster_site(spec).port
    security = {
        "runAsNonRoot": True,
        "runAsUser": HAPROXY_UID,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    sources: list[dict[str, Any]] = [{"configMap": {"name": router_name(spec)}}]
    if spec.auth_enabled or spec.token_auth_enabled:
        sources.append({"secret": {"name": router_name(spec)}})
    volumes: list[dict[str, Any]] = [
        {"name": "config", "projected": {"sources": sources}},
        {"name": "routing", "configMap": {"name": f"{router_name(spec)}-routing"}},
        {"name": "agent-code", "configMap": {"name": f"{router_name(spec)}-agent"}},
        {"name": "run", "emptyDir": {}},
    ]
    mounts = [
        {"name": "config", "mountPath": CLUSTER_CONFIG_DIR, "readOnly": True},
        {"name": "routing", "mountPath": CLUSTER_ROUTING_DIR, "readOnly": True},
        {"name": "run", "mountPath": CLUSTER_RUN_DIR},
    ]
    if router.tls:
        volumes += [
            {"name": "tls", "emptyDir": {"medium": "Memory"}},
            {"name": "tls-source", "secret": {"secretName": router.tls_secret_name}},
        ]
        mounts.append({"name": "tls", "mountPath": CLUSTER_TLS_DIR})
    resources: dict[str, Any] = {
        "requests": {"cpu": cpu_quantity(router.cpu_cores), "memory": memory_quantity(router.memory_gb)}
    }
    if router.memory_gb_limit is not None:
        resources["limits"] = {"memory": memory_quantity(router.memory_gb_limit)}
    health = {"httpGet": {"path": "/healthz", "port": "metrics"}, "periodSeconds": 5, "timeoutSeconds": 2}
    precheck_mounts = list(mounts) + (
        [{"name": "tls-source", "mountPath": TLS_SOURCE_DIR, "readOnly": True}] if router.tls else []
    )
    labels = {**endpoint_labels(spec.name), COMPONENT_LABEL: "router"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(spec),
        "spec": {
            "selector": {"matchLabels": router_selector(spec.name)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": {
                        "model-endpoints.io/config-sha256": checksum,
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(METRICS_PORT),
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": {
                    "affinity": {
                        "podAntiAffinity": {
                            "preferredDuringSchedulingIgnoredDuringExecution": [
                                {
                                    "weight": 100,
                                    "podAffinityTerm": {
                                        "topologyKey": "kubernetes.io/hostname",
                                        "labelSelector": {"matchLabels": router_selector(spec.name)},
                                    },
                                }
                            ]
                        }
                    },
                    # In-flight scoring calls finish before the old pod exits.
                    "terminationGracePeriodSeconds": termination_grace_seconds(spec),
                    "initContainers": [
                        {
                            "name": "check-config",
                            "image": router.image,
                            "command": ["/bin/sh", "-c", precheck_script(spec)],
                            "securityContext": security,
                            "volumeMounts": precheck_mounts,
                            "resources": resources,
                        }
                    ],
                    "containers": [
                        {
                            "name": "haproxy",
                            "image": router.image,
                            "command": ["haproxy", "-W", "-db", "-f", f"{CLUSTER_CONFIG_DIR}/{CONFIG_FILE}"],
                            "ports": [
                                {"name": "http", "containerPort": port, "protocol": "TCP"},
                                {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"},
                            ],
                            "readinessProbe": health,
                            "livenessProbe": {**health, "initialDelaySeconds": 10, "failureThreshold": 3},
                            # Let the Service stop sending before HAProxy begins to drain.
                            "lifecycle": {
                                "preStop": {"exec": {"command": ["sleep", str(PRE_STOP_DELAY_SECONDS)]}}
                            },
                            "resources": resources,
                            "securityContext": security,
                            "volumeMounts": mounts,
                        },
                        _agent_container(spec, security),
                    ],
                    "volumes": volumes,
                },
            },
        },
    }


def router_service(spec: EndpointSpec) -> dict[str, Any]:
    router = spec.router
    metadata = _metadata(spec)
    if router.service_annotations:
        metadata["annotations"] = dict(router.service_annotations)
    service_spec: dict[str, Any] = {
        "type": router.service_type,
        "selector": router_selector(spec.name),
        "ports": [
            {
                "name": "https" if router.tls else "http",
                "port": 443 if router.tls else 80,
                "targetPort": "http",
                "protocol": "TCP",
            }
        ],
    }
    if router.load_balancer_source_ranges:
        service_spec["loadBalancerSourceRanges"] = list(router.load_balancer_source_ranges)
    if router.ip_family == "IPv6":
        service_spec |= {"ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv6"]}
    elif router.ip_family == "DualStack":
        service_spec |= {"ipFamilyPolicy": "RequireDualStack", "ipFamilies": ["IPv4", "IPv6"]}
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": service_spec}


def router_autoscaler(spec: EndpointSpec) -> dict[str, Any]:
    router = spec.router
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _metadata(spec),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": router_name(spec)},
            "minReplicas": router.min_replicas,
            "maxReplicas": router.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": router.target_cpu_utilization},
                    },
                }
            ],
        },
    }


def router_disruption_budget(spec: EndpointSpec) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _metadata(spec),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": router_selector(spec.name)}},
    }


def _metrics_peer(source: MetricsSource) -> dict[str, Any]:
    if source.cidr is not None:
        return {"ipBlock": {"cidr": source.cidr}}
    peer: dict[str, Any] = {}
    if source.namespace is not None:
        peer["namespaceSelector"] = {"matchLabels": {NAMESPACE_NAME_LABEL: source.namespace}}
    if source.pod_labels:
        peer["podSelector"] = {"matchLabels": dict(source.pod_labels)}
    return peer


def router_network_policy(spec: EndpointSpec) -> dict[str, Any]:
    """The router pods' ingress: the scoring port from every source (its Service decides who
    reaches it), the metrics port only from `router.metrics_sources`. (Traffic from the node, the
    kubelet's probes, is always allowed.)"""
    metrics: dict[str, Any] = {"ports": [{"protocol": "TCP", "port": METRICS_PORT}]}
    metrics["from"] = [_metrics_peer(source) for source in spec.router.metrics_sources]
    ingress = [{"ports": [{"protocol": "TCP", "port": cluster_site(spec).port}]}]
    if spec.router.metrics_sources:  # an empty `from` would admit every source
        ingress.append(metrics)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _metadata(spec),
        "spec": {
            "podSelector": {"matchLabels": router_selector(spec.name)},
            "policyTypes": ["Ingress"],
            "ingress": ingress,
        },
    }


def scoring_url(spec: EndpointSpec, host: str | None = None, cluster_domain: str = "cluster.local") -> str:
    """`<scheme>://<host>/score`: the load balancer's address when given, else the cluster DNS name."""
    scheme = "https" if spec.router.tls else "http"
    host = host or f"{router_name(spec)}.{spec.effective_namespace}.svc.{cluster_domain}"
    return f"{scheme}://{host}/score"
