"""The review's list of version fields that never reach the pod template, held to the manifests:
every field of a version is either in it (and changing it leaves the serving digest alone) or
not (and some change of it moves the digest), so a review and a preview agree on which changes
are a new serving definition."""

from __future__ import annotations

from typing import Any

import pytest

from components.manifests.green import serving_digest
from components.manifests.workload import deployment
from review.field_changes import model_changes
from review.version_updates import TEMPLATE_NEUTRAL_FIELDS, version_update
from specification.version import InferenceConfig, VersionSpec
from tests.specs import endpoint, pool, version

MODEL = {"name": "iris", "version": "3", "uri": "s3://models/iris/3"}
# One other value per field (with what it needs to matter), from a base `vb` on an image.
OTHER_VALUES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "traffic_percentile": ({}, {"traffic_percentile": 30.0}),
    "is_default": ({}, {"is_default": True}),
    "is_control_version_type": ({}, {"is_control_version_type": True}),
    "image": ({}, {"image": "registry.example.com/model:2"}),
    "inference_config": (
        {"image": None, "inference_config": InferenceConfig(entry_script="a.py", base_image="python:3.11-slim")},
        {"image": None, "inference_config": InferenceConfig(entry_script="b.py", base_image="python:3.11-slim")},
    ),
    "models": ({}, {"models": [MODEL]}),
    "models_disk_gb": ({"models": [MODEL]}, {"models": [MODEL], "models_disk_gb": 20.0}),
    "service_account_name": ({}, {"service_account_name": "reader"}),
    "port": ({}, {"port": 5002}),
    "health_path": ({}, {"health_path": "/ready"}),
    "env": ({}, {"env": {"THREADS": "4"}}),
    "node_pool": ({}, {"node_pool": "gpu", "gpu_cores": 1}),
    "autoscale_enabled": ({}, {"autoscale_enabled": False, "num_replicas": 1}),
    "autoscale_min_replicas": ({}, {"autoscale_min_replicas": 2}),
    "autoscale_max_replicas": ({}, {"autoscale_max_replicas": 12}),
    "autoscale_refresh_seconds": ({}, {"autoscale_refresh_seconds": 5}),
    "autoscale_target_utilization": ({}, {"autoscale_target_utilization": 50}),
    "num_replicas": ({}, {"num_replicas": 3}),
    "cpu_cores": ({}, {"cpu_cores": 0.5}),
    "memory_gb": ({}, {"memory_gb": 1.0}),
    "cpu_cores_limit": ({}, {"cpu_cores_limit": 1.0}),
    "memory_gb_limit": ({}, {"memory_gb_limit": 2.0}),
    "gpu_cores": ({"node_pool": "gpu", "gpu_cores": 1}, {"node_pool": "gpu", "gpu_cores": 2}),
    "scoring_timeout_ms": ({}, {"scoring_timeout_ms": 30000}),
    "replica_max_concurrent_requests": ({}, {"replica_max_concurrent_requests": 4}),
    "max_request_wait_time": ({}, {"max_request_wait_time": 900}),
    "period_seconds": ({}, {"period_seconds": 5}),
    "initial_delay_seconds": ({}, {"initial_delay_seconds": 100}),
    "timeout_seconds": ({}, {"timeout_seconds": 3}),
    "success_threshold": ({}, {"success_threshold": 2}),
    "failure_threshold": ({}, {"failure_threshold": 5}),
    "collect_model_data": ({}, {"collect_model_data": True}),
    "tags": ({}, {"tags": {"team": "fraud"}}),
    "properties": ({}, {"properties": {"owner": "ml"}}),
    "description": ({}, {"description": "the new one"}),
}


def _digest(fields: dict[str, Any]) -> str:
    v = version("vb", **fields)
    ep = endpoint(version("va", traffic_percentile=50), v)
    gpu = pool("gpu", "Standard_NC4as_T4_v3") if v.node_pool else None
    return serving_digest(deployment(ep, ep.version("vb"), gpu))


def test_every_version_field_is_tried() -> None:
    assert set(OTHER_VALUES) == set(VersionSpec.model_fields) - {"name"}


@pytest.mark.parametrize("field", sorted(OTHER_VALUES))
def test_a_field_reaches_the_pod_template_unless_the_review_lists_it_as_neutral(field: str) -> None:
    base, other = OTHER_VALUES[field]
    moved = _digest(base) != _digest({**base, **other})
    assert moved == (field not in TEMPLATE_NEUTRAL_FIELDS), field


POLICY = {
    "blue_green_update_policy": {
        "traffic_routing_configuration": {"type": "ALL_AT_ONCE", "wait_interval_in_seconds": 0}
    }
}


def _update(fields: dict[str, Any], share: float = 50, **endpoint_fields: Any) -> str | None:
    before = endpoint(version("va", traffic_percentile=50), version("vb", traffic_percentile=share), **endpoint_fields)
    after = endpoint(version("va", traffic_percentile=50), version("vb", traffic_percentile=share, **fields), **endpoint_fields)
    changes = tuple(model_changes(before.version("vb"), after.version("vb")))
    return version_update(before, after, "vb", changes)


def test_what_up_does_with_a_changed_version_follows_the_traffic_splits_rules() -> None:
    assert _update({"description": "x"}, deployment_config=POLICY) is None
    assert _update({"image": "registry.example.com/model:2"}) == (
        "new image: Kubernetes rolls its Deployment, one new pod at a time (no guarding policy)"
    )
    replaced = _update({"image": "registry.example.com/model:2"}, deployment_config=POLICY)
    assert replaced is not None and "replaced blue/green, new pods beside the old ones" in replaced
    idle = _update({"image": "registry.example.com/model:2"}, share=0, deployment_config=POLICY)
    assert idle is not None and idle.endswith("(it takes no weighted traffic)")
    moved = _update({"port": 5002}, deployment_config=POLICY)
    assert moved is not None and moved.endswith("since the routers probe its old port")
