"""Turns a planner's manifest dict into the matching typed `pulumi_kubernetes` resource.

Typed resources (not a generic YAML blob) so `pulumi preview` shows each object with its kind and
a field-level diff.
"""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

__all__ = ["create_object"]

_TYPES: dict[tuple[str, str], Any] = {
    ("v1", "Namespace"): k8s.core.v1.Namespace,
    ("v1", "Service"): k8s.core.v1.Service,
    ("v1", "ConfigMap"): k8s.core.v1.ConfigMap,
    ("v1", "Secret"): k8s.core.v1.Secret,
    ("apps/v1", "Deployment"): k8s.apps.v1.Deployment,
    ("apps/v1", "DaemonSet"): k8s.apps.v1.DaemonSet,
    ("policy/v1", "PodDisruptionBudget"): k8s.policy.v1.PodDisruptionBudget,
    ("autoscaling/v2", "HorizontalPodAutoscaler"): k8s.autoscaling.v2.HorizontalPodAutoscaler,
    ("networking.k8s.io/v1", "NetworkPolicy"): k8s.networking.v1.NetworkPolicy,
}


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def create_object(
    name: str, manifest: dict[str, Any], opts: pulumi.ResourceOptions
) -> pulumi.CustomResource:
    """Register `manifest` as a Pulumi resource named `name` (a CustomResource for CRD kinds)."""
    api_version, kind = manifest["apiVersion"], manifest["kind"]
    body = {key: value for key, value in manifest.items() if key not in ("apiVersion", "kind")}
    resource_type = _TYPES.get((api_version, kind))
    if resource_type is not None:
        # Typed resources take their top-level fields as snake_case keywords (stringData ->
        # string_data); nested keys pass through in the manifest's camelCase.
        return resource_type(name, **{_snake(key): value for key, value in body.items()}, opts=opts)
    return k8s.apiextensions.CustomResource(
        name, api_version=api_version, kind=kind, opts=opts, **body
    )
