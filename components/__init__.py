"""model-endpoints: Azure ML-style online endpoints on any Kubernetes cluster, as Pulumi components.

The components (`Endpoint`, `Version`, `NodePool`, `Router`) map a validated spec onto Kubernetes
objects and the dynamic resources. The spec models themselves live in the `specification`
package (no Pulumi import); they are re-exported here so a program needs one import line.
"""

from __future__ import annotations

from components.endpoint import Endpoint, EndpointArgs
from components.node_pool import NodePool, NodePoolArgs
from components.router import Router, RouterArgs
from components.version import Version, VersionArgs
from specification import (
    SKU_CATALOG,
    EndpointSpec,
    InferenceConfig,
    NodePoolSpec,
    SkuSpec,
    StackSpec,
    Taint,
    VersionSpec,
)

__all__ = [
    "SKU_CATALOG",
    "Endpoint",
    "EndpointArgs",
    "EndpointSpec",
    "InferenceConfig",
    "NodePool",
    "NodePoolArgs",
    "Router",
    "RouterArgs",
    "NodePoolSpec",
    "SkuSpec",
    "StackSpec",
    "Taint",
    "Version",
    "VersionArgs",
    "VersionSpec",
]
