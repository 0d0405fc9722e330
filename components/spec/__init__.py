"""The spec layer: every user-facing field, default and rule, with no Pulumi import."""

from __future__ import annotations

from components.spec.endpoint import SEED_MAX_VERSIONS, EndpointSpec
from components.spec.node_pool import NodePoolSpec, Taint
from components.spec.placement import check_placement, placement_errors
from components.spec.router import RouterSpec
from components.spec.skus import SKU_CATALOG, AcceleratorKind, DevicePlugin, SkuSpec, lookup_sku
from components.spec.stack import StackSpec
from components.spec.traffic import effective_traffic
from components.spec.version import InferenceConfig, VersionSpec

__all__ = [
    "SEED_MAX_VERSIONS",
    "SKU_CATALOG",
    "AcceleratorKind",
    "DevicePlugin",
    "EndpointSpec",
    "InferenceConfig",
    "NodePoolSpec",
    "RouterSpec",
    "SkuSpec",
    "StackSpec",
    "Taint",
    "VersionSpec",
    "check_placement",
    "effective_traffic",
    "lookup_sku",
    "placement_errors",
]
