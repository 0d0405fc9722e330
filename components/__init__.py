"""model-endpoints: Azure ML-style online endpoints on any Kubernetes cluster, as Pulumi components.

The spec models (`EndpointSpec`, `VersionSpec`, `NodePoolSpec`, `StackSpec`) import no Pulumi;
the components (`Endpoint`, `Version`, `NodePool`) map a validated spec onto Kubernetes objects.
The components are imported on first use, so code that needs only the spec (the router
renderer, local tooling) never pays for importing Pulumi.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from components.spec import (
    SKU_CATALOG,
    EndpointSpec,
    InferenceConfig,
    NodePoolSpec,
    SkuSpec,
    StackSpec,
    Taint,
    VersionSpec,
)

if TYPE_CHECKING:
    from components.endpoint import Endpoint
    from components.node_pool import NodePool
    from components.version import Version, VersionArgs

_COMPONENTS = {
    "Endpoint": "components.endpoint",
    "NodePool": "components.node_pool",
    "Version": "components.version",
    "VersionArgs": "components.version",
}

__all__ = [
    "SKU_CATALOG",
    "Endpoint",
    "EndpointSpec",
    "InferenceConfig",
    "NodePool",
    "NodePoolSpec",
    "SkuSpec",
    "StackSpec",
    "Taint",
    "Version",
    "VersionArgs",
    "VersionSpec",
]


def __getattr__(name: str) -> Any:
    if name in _COMPONENTS:
        return getattr(import_module(_COMPONENTS[name]), name)
    raise AttributeError(f"module 'components' has no attribute {name!r}")
