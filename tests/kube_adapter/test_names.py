"""The adapter finds the router objects the components create: same names, labels and port.

The adapter (layer 1) cannot import the components (layer 3), so it keeps its own copies;
these tests hold them equal, through the router Deployment the components actually render.
"""

from __future__ import annotations

from pathlib import Path

from components.manifests.labels import object_name, router_selector
from components.manifests.workload import deployment
from components.manifests.router import METRICS_PORT, router_deployment, router_name
from kube_adapter import (
    ROUTER_METRICS_PORT,
    ClusterAdapter,
    ClusterCredentials,
    router_deployment_name,
    router_label_selector,
)
from kube_adapter.names import version_deployment_name
from tests.kube_adapter.fake_api_server import FakeApiServer
from tests.specs import endpoint, version


def test_the_router_deployment_name_and_metrics_port_are_the_components_ones() -> None:
    spec = endpoint(name="fraud")
    assert router_deployment_name("fraud") == router_name(spec)
    assert ROUTER_METRICS_PORT == METRICS_PORT


def test_a_version_deployment_name_is_the_components_one() -> None:
    spec = endpoint(version(name="v1"), version(name="v2", traffic_percentile=10), name="fraud")
    for each in spec.versions:
        rendered = deployment(spec, each, None)["metadata"]["name"]
        assert version_deployment_name("fraud", each.name) == rendered == object_name("fraud", each.name)


def test_the_label_selector_is_the_components_router_selector() -> None:
    assert router_label_selector("fraud") == ",".join(f"{k}={v}" for k, v in router_selector("fraud").items())


def test_pods_of_the_rendered_router_deployment_are_listed(api_server: FakeApiServer, kubeconfig_path: Path) -> None:
    spec = endpoint(name="fraud", namespace="fraud")
    rendered = router_deployment(spec, "checksum")
    template = rendered["spec"]["template"]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {**template["metadata"], "name": "fraud-router-7d9f-abcde", "namespace": "fraud"},
        "spec": template["spec"],
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
    }
    api_server.put(pod)

    listed = ClusterAdapter(ClusterCredentials(kubeconfig=str(kubeconfig_path))).list_router_pods("fraud", "fraud")

    assert [(p.name, p.ready) for p in listed] == [("fraud-router-7d9f-abcde", True)]
