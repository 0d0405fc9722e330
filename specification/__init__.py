"""The spec layer: every user-facing field, default and rule, with no Pulumi import."""

from __future__ import annotations

from specification.alarms import AutoRollbackConfiguration, PromQLAlarm, RouterMetricAlarm
from specification.clouds import AksPoolSettings, EksPoolSettings, GkePoolSettings
from specification.deployment_config import (
    BlueGreenUpdatePolicy,
    DeploymentConfig,
    TrafficRoutingConfiguration,
)
from specification.endpoint import SEED_MAX_VERSIONS, EndpointSpec
from specification.node_pool import NodePoolSpec, Taint
from specification.placement import check_placement, placement_errors
from specification.router import RouterSpec
from specification.routing import RoutingError, RoutingTable, routing_table
from specification.skus import (
    SKU_CATALOG,
    AcceleratorKind,
    DevicePlugin,
    SkuSpec,
    lookup_sku,
)
from specification.stack import StackSpec
from specification.version import InferenceConfig, VersionSpec

__all__ = [
    "SEED_MAX_VERSIONS",
    "SKU_CATALOG",
    "AcceleratorKind",
    "AksPoolSettings",
    "AutoRollbackConfiguration",
    "BlueGreenUpdatePolicy",
    "DeploymentConfig",
    "DevicePlugin",
    "EksPoolSettings",
    "EndpointSpec",
    "GkePoolSettings",
    "InferenceConfig",
    "NodePoolSpec",
    "PromQLAlarm",
    "RouterMetricAlarm",
    "RouterSpec",
    "RoutingError",
    "RoutingTable",
    "SkuSpec",
    "StackSpec",
    "Taint",
    "TrafficRoutingConfiguration",
    "VersionSpec",
    "check_placement",
    "lookup_sku",
    "placement_errors",
    "routing_table",
]
