"""Validate manifests as the API server would: kubernetes-validate (strict, one pinned minor) for
built-in kinds, and a JSON schema from KEDA's CRD for ScaledObject, which kubernetes-validate
does not know."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import kubernetes_validate

from offline.recording import COMPUTED

__all__ = ["KUBERNETES_VERSION", "validate_manifest"]

KUBERNETES_VERSION = "1.31"

_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
# The fields of keda.sh/v1alpha1 ScaledObject (KEDA 2.x CRD) this project emits or may emit.
_SCALED_OBJECT = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "keda.sh/v1alpha1"},
        "kind": {"const": "ScaledObject"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "namespace": {"type": "string"}, "labels": _STRING_MAP},
        },
        "spec": {
            "type": "object",
            "required": ["scaleTargetRef", "triggers"],
            "additionalProperties": False,
            "properties": {
                "scaleTargetRef": {
                    "type": "object",
                    "required": ["name"],
                    "additionalProperties": False,
                    "properties": {
                        "apiVersion": {"type": "string"},
                        "kind": {"type": "string"},
                        "name": {"type": "string"},
                        "envSourceContainerName": {"type": "string"},
                    },
                },
                "pollingInterval": {"type": "integer", "minimum": 1},
                "cooldownPeriod": {"type": "integer", "minimum": 0},
                "idleReplicaCount": {"type": "integer", "minimum": 0},
                "minReplicaCount": {"type": "integer", "minimum": 0},
                "maxReplicaCount": {"type": "integer", "minimum": 1},
                "advanced": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "restoreToOriginalReplicaCount": {"type": "boolean"},
                        "horizontalPodAutoscalerConfig": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {"name": {"type": "string"}, "behavior": {"type": "object"}},
                        },
                    },
                },
                "triggers": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["type", "metadata"],
                        "additionalProperties": False,
                        "properties": {
                            "type": {"type": "string"},
                            "name": {"type": "string"},
                            "metadata": _STRING_MAP,
                            "metricType": {"enum": ["AverageValue", "Value", "Utilization"]},
                            "useCachedMetrics": {"type": "boolean"},
                            "authenticationRef": {"type": "object"},
                        },
                    },
                },
            },
        },
    },
}


def _known(value: Any) -> Any:
    """`value` without the parts a preview does not know yet (the API server never sees those)."""
    if isinstance(value, dict):
        return {k: _known(v) for k, v in value.items() if v != COMPUTED}
    if isinstance(value, list):
        return [_known(v) for v in value if v != COMPUTED]
    return value


def validate_manifest(manifest: dict[str, Any]) -> None:
    """Raise if `manifest` is not a valid object of its kind (unknown fields included). Values
    still computed in a preview are left out; everything known is checked."""
    manifest = _known(manifest)
    if manifest.get("apiVersion") == "keda.sh/v1alpha1":
        jsonschema.validate(manifest, _SCALED_OBJECT)
        behavior = manifest["spec"].get("advanced", {}).get("horizontalPodAutoscalerConfig", {}).get("behavior")
        if behavior is not None:
            # KEDA passes `behavior` to the HPA it creates: check it against the HPA v2 schema.
            probe = {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": "behavior-check"},
                "spec": {
                    "scaleTargetRef": copy.deepcopy(manifest["spec"]["scaleTargetRef"]) | {"kind": "Deployment"},
                    "maxReplicas": 1,
                    "behavior": behavior,
                },
            }
            kubernetes_validate.validate(probe, KUBERNETES_VERSION, strict=True)
        return
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
