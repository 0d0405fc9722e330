"""The Deployment and Service manifests the adapter creates, replaces and deletes, and what it
reads back from them: pure functions on the objects as JSON, so that kubernetes 36's models and
37's look alike.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from kube_adapter.objects import AppliedObject, DeploymentReplicas, DeploymentRollout

__all__ = ["manifest_target", "replacement", "applied_object", "deployment_rollout", "checked_replicas"]

_API_VERSIONS = {"Deployment": "apps/v1", "Service": "v1"}


def manifest_target(manifest: Mapping[str, Any], kind: str) -> tuple[str, str]:
    """The `(namespace, name)` of a manifest of `kind` (`Deployment`, `Service`); a `ValueError`
    naming the field when the manifest is of another kind or lacks its namespace or name."""
    if manifest.get("kind") != kind:
        raise ValueError(f"manifest kind must be '{kind}', got {manifest.get('kind')!r}")
    if manifest.get("apiVersion") != _API_VERSIONS[kind]:
        raise ValueError(
            f"manifest apiVersion of a {kind} must be '{_API_VERSIONS[kind]}', got {manifest.get('apiVersion')!r}"
        )
    metadata = manifest.get("metadata")
    if not isinstance(metadata, Mapping):
        raise ValueError(f"manifest metadata must be an object with a namespace and a name, got {metadata!r}")
    for field in ("namespace", "name"):
        if not isinstance(metadata.get(field), str) or not metadata[field]:
            raise ValueError(f"manifest metadata.{field} must be a non-empty string, got {metadata.get(field)!r}")
    return str(metadata["namespace"]), str(metadata["name"])


def replacement(manifest: Mapping[str, Any], existing: Mapping[str, Any]) -> dict[str, Any]:
    """The body that replaces `existing` with `manifest`: the manifest carrying the
    resourceVersion read (the API server refuses it with 409 if the object moved on since).

    A Service keeps the cluster IP it was given when the manifest names none: the field cannot
    change, and API servers before 1.20 do not fill it in on an update. A headless Service's
    manifest says `clusterIP: None` itself, so it is sent as it is.
    """
    body = copy.deepcopy(dict(manifest))
    body["metadata"] = {**body["metadata"], "resourceVersion": existing["metadata"]["resourceVersion"]}
    spec = body.get("spec")
    if body["kind"] == "Service" and isinstance(spec, dict) and not (spec.get("clusterIP") or spec.get("clusterIPs")):
        kept = existing.get("spec") or {}
        spec.update({key: kept[key] for key in ("clusterIP", "clusterIPs") if kept.get(key)})
    return body


def applied_object(kind: str, stored: Mapping[str, Any], *, created: bool) -> AppliedObject:
    """What the API server answered to a create or replace."""
    metadata = stored["metadata"]
    return AppliedObject(
        kind=kind,
        namespace=str(metadata["namespace"]),
        name=str(metadata["name"]),
        generation=int(metadata.get("generation") or 0),
        resource_version=str(metadata["resourceVersion"]),
        created=created,
    )


def deployment_rollout(found: Mapping[str, Any], name: str) -> DeploymentRollout:
    """A Deployment's replica counts and rollout state, from the object the API server served."""
    metadata, spec, status = (found.get(key) or {} for key in ("metadata", "spec", "status"))
    conditions: list[dict[str, Any]] = status.get("conditions") or []
    progressing = next((c for c in conditions if c.get("type") == "Progressing"), {})
    return DeploymentRollout(
        replicas=DeploymentReplicas(
            name=name,
            # the API server defaults spec.replicas to 1, so a served object always has it
            desired=int(spec["replicas"] if spec.get("replicas") is not None else 1),
            current=int(status.get("replicas") or 0),
            ready=int(status.get("readyReplicas") or 0),
            updated=int(status.get("updatedReplicas") or 0),
            available=int(status.get("availableReplicas") or 0),
        ),
        generation=int(metadata.get("generation") or 0),
        observed_generation=int(status.get("observedGeneration") or 0),
        progress_deadline_exceeded=progressing.get("reason") == "ProgressDeadlineExceeded",
        progress_message=str(progressing.get("message") or ""),
    )


def checked_replicas(replicas: int) -> int:
    """`replicas` if it is a positive int (not a bool); else a `ValueError` naming the field."""
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1:
        raise ValueError(f"spec.replicas must be a positive int, got {replicas!r}")
    return replicas
