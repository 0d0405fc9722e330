"""The thin Kubernetes adapter: the project's only code that talks to the Kubernetes API.

It reads and writes one ConfigMap (the endpoint's live routing table) with optimistic
concurrency, lists an endpoint's router pods, reads a router pod's metrics port through the API
server's pod proxy, reads a Deployment's replica counts and rollout state, and, for a blue/green
replacement, creates (or replaces), scales and deletes a temporary Deployment and Service, with
the stack's own cluster credentials (kubeconfig and context, as the Kubernetes provider takes
them). Layer 1: it imports only third-party libraries; the official `kubernetes` client is
imported on first use.
"""

from __future__ import annotations

from kube_adapter.adapter import FIELD_MANAGER, ClusterAdapter
from kube_adapter.credentials import ClusterCredentials
from kube_adapter.errors import (
    ClusterError,
    ConflictError,
    ForbiddenError,
    KubeconfigError,
    NotFoundError,
    UnauthorizedError,
    UnreachableError,
)
from kube_adapter.names import (
    ROUTER_METRICS_PORT,
    router_deployment_name,
    router_label_selector,
    routing_config_map_name,
)
from kube_adapter.objects import (
    AppliedObject,
    ConfigMapData,
    DeploymentReplicas,
    DeploymentRollout,
    RouterPod,
)

__all__ = [
    "FIELD_MANAGER",
    "ClusterAdapter",
    "ClusterCredentials",
    "ClusterError",
    "ConflictError",
    "ForbiddenError",
    "KubeconfigError",
    "NotFoundError",
    "UnauthorizedError",
    "UnreachableError",
    "ROUTER_METRICS_PORT",
    "router_deployment_name",
    "router_label_selector",
    "routing_config_map_name",
    "ConfigMapData",
    "DeploymentReplicas",
    "DeploymentRollout",
    "AppliedObject",
    "RouterPod",
]
