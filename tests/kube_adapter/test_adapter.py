"""The adapter's calls against a fake API server: what it sends, what it returns, how it fails."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from kube_adapter import (
    FIELD_MANAGER,
    ClusterAdapter,
    ClusterCredentials,
    ClusterError,
    ConfigMapData,
    ConflictError,
    DeploymentReplicas,
    ForbiddenError,
    NotFoundError,
    RouterPod,
    UnreachableError,
    router_deployment_name,
    routing_config_map_name,
)
from tests.kube_adapter.cluster_objects import (
    ENDPOINT,
    NAMESPACE,
    deployment,
    router_pod,
    routing_config_map,
    version_pod,
)
from tests.kube_adapter.fake_api_server import MERGE_PATCH, FakeApiServer
from tests.kube_adapter.kubeconfigs import kubeconfig, write_kubeconfig
from tests.ports import free_port

ROUTING = routing_config_map_name(ENDPOINT)


@pytest.fixture
def adapter(kubeconfig_path: Path) -> ClusterAdapter:
    return ClusterAdapter(ClusterCredentials(kubeconfig=str(kubeconfig_path)), timeout_seconds=5)


def test_reads_the_routing_config_map(api_server: FakeApiServer, adapter: ClusterAdapter) -> None:
    stored = api_server.put(routing_config_map({"split.map": "0 versiona\n", "revision": "1"}))

    read = adapter.read_config_map(NAMESPACE, ROUTING)

    assert read == ConfigMapData(
        NAMESPACE,
        ROUTING,
        {"split.map": "0 versiona\n", "revision": "1"},
        stored["metadata"]["resourceVersion"],
        {"pulumi.com/patchForce": "true"},
    )
    assert [(r.method, r.path) for r in api_server.requests] == [
        ("GET", f"/api/v1/namespaces/{NAMESPACE}/configmaps/{ROUTING}")
    ]


def test_a_write_replaces_the_data_only_and_round_trips(api_server: FakeApiServer, adapter: ClusterAdapter) -> None:
    api_server.put(routing_config_map({"split.map": "0 versiona\n", "revision": "1", "stale": "x"}))
    read = adapter.read_config_map(NAMESPACE, ROUTING)

    written = adapter.write_config_map(read, {"split.map": "0 versiona\n8000 versionb\n", "revision": "2"})

    assert written.data == {"split.map": "0 versiona\n8000 versionb\n", "revision": "2"}
    assert int(written.resource_version) > int(read.resource_version)
    assert adapter.read_config_map(NAMESPACE, ROUTING) == written
    patch = api_server.requests[1]
    assert (patch.method, patch.headers["content-type"]) == ("PATCH", MERGE_PATCH)
    assert patch.query == {"fieldManager": [FIELD_MANAGER]}
    # the resourceVersion read is the precondition; a key no longer wanted is removed with null
    assert patch.body == {
        "metadata": {"resourceVersion": read.resource_version},
        "data": {"stale": None, "split.map": "0 versiona\n8000 versionb\n", "revision": "2"},
    }
    # labels and annotations Pulumi manages are untouched
    stored = api_server.config_maps[(NAMESPACE, ROUTING)]
    assert stored["metadata"]["annotations"] == {"pulumi.com/patchForce": "true"}
    assert stored["metadata"]["labels"]["app.kubernetes.io/component"] == "router"


def test_annotations_are_set_and_removed_leaving_data_and_other_annotations(
    api_server: FakeApiServer, adapter: ClusterAdapter
) -> None:
    api_server.put(routing_config_map({"split.map": "0 versiona\n", "revision": "1"}))
    adapter.annotate_config_map(NAMESPACE, ROUTING, {"model-endpoints.io/shift": '{"step": 1}'})
    read = adapter.read_config_map(NAMESPACE, ROUTING)
    assert read.annotations == {
        "pulumi.com/patchForce": "true",
        "model-endpoints.io/shift": '{"step": 1}',
    }
    assert read.data == {"split.map": "0 versiona\n", "revision": "1"}
    patch = api_server.requests[0]
    assert patch.body == {"metadata": {"annotations": {"model-endpoints.io/shift": '{"step": 1}'}}}
    assert patch.query == {"fieldManager": [FIELD_MANAGER]}

    adapter.annotate_config_map(NAMESPACE, ROUTING, {"model-endpoints.io/shift": None})
    assert adapter.read_config_map(NAMESPACE, ROUTING).annotations == {"pulumi.com/patchForce": "true"}
    with pytest.raises(TypeError, match="annotations must map str to str or None"):
        adapter.annotate_config_map(NAMESPACE, ROUTING, {"x": 1})  # type: ignore[dict-item]


def test_a_write_after_someone_else_changed_it_fails_and_changes_nothing(
    api_server: FakeApiServer, adapter: ClusterAdapter
) -> None:
    api_server.put(routing_config_map({"split.map": "0 versiona\n", "revision": "1"}))
    read = adapter.read_config_map(NAMESPACE, ROUTING)
    api_server.change_config_map(NAMESPACE, ROUTING, {"split.map": "0 versionb\n", "revision": "7"})

    with pytest.raises(ConflictError) as raised:
        adapter.write_config_map(read, {"split.map": "0 versiona\n5000 versionb\n", "revision": "2"})

    message = str(raised.value)
    assert f"ConfigMap '{ROUTING}' in namespace '{NAMESPACE}' was changed by someone else since it was read" in message
    assert "read it again and retry" in message
    assert api_server.config_maps[(NAMESPACE, ROUTING)]["data"] == {"split.map": "0 versionb\n", "revision": "7"}
    # read again, the write goes through
    again = adapter.read_config_map(NAMESPACE, ROUTING)
    assert adapter.write_config_map(again, {"split.map": "0 versiona\n", "revision": "8"}).data["revision"] == "8"


def test_a_write_of_non_string_values_is_refused_before_sending(
    api_server: FakeApiServer, adapter: ClusterAdapter
) -> None:
    api_server.put(routing_config_map({"revision": "1"}))
    read = adapter.read_config_map(NAMESPACE, ROUTING)
    with pytest.raises(TypeError, match="str to str"):
        adapter.write_config_map(read, {"revision": 2})  # type: ignore[dict-item]
    assert [r.method for r in api_server.requests] == ["GET"]


def test_a_missing_config_map_is_named(api_server: FakeApiServer, adapter: ClusterAdapter) -> None:
    with pytest.raises(NotFoundError) as raised:
        adapter.read_config_map(NAMESPACE, ROUTING)
    message = str(raised.value)
    assert message.startswith(
        f"ConfigMap '{ROUTING}' in namespace '{NAMESPACE}' not found at API server http://127.0.0.1:"
    )
    assert "context 'test'" in message
    assert f'configmaps "{ROUTING}" not found' in message


@pytest.mark.parametrize(
    "verb, resource, call",
    [
        ("get", "configmaps", lambda adapter: adapter.read_config_map(NAMESPACE, ROUTING)),
        (
            "patch",
            "configmaps",
            lambda adapter: adapter.write_config_map(ConfigMapData(NAMESPACE, ROUTING, {}, "1"), {"revision": "2"}),
        ),
        ("list", "pods", lambda adapter: adapter.list_router_pods(NAMESPACE, ENDPOINT)),
        ("get", "pods/proxy", lambda adapter: adapter.read_pod_http(NAMESPACE, "fraud-router-a", "metrics")),
        ("get", "deployments", lambda adapter: adapter.read_deployment_replicas(NAMESPACE, "fraud-router")),
    ],
)
def test_rbac_refusals_name_the_verb_resource_and_namespace(
    api_server: FakeApiServer, adapter: ClusterAdapter, verb: str, resource: str, call: object
) -> None:
    api_server.put(routing_config_map({"revision": "1"}))
    api_server.forbidden.add((verb, resource, NAMESPACE))

    with pytest.raises(ForbiddenError) as raised:
        call(adapter)  # type: ignore[operator]

    message = str(raised.value)
    assert message.startswith(f"forbidden: the kubeconfig's user may not {verb} {resource} in namespace '{NAMESPACE}'")
    assert f"RBAC: verb '{verb}' on '{resource}'" in message
    assert 'User "system:serviceaccount:ci:deployer" cannot' in message  # the API server's own words


def test_lists_the_endpoints_router_pods_by_their_labels(api_server: FakeApiServer, adapter: ClusterAdapter) -> None:
    api_server.put(router_pod("fraud-router-b", ready=False, phase="Pending"))
    api_server.put(router_pod("fraud-router-a"))
    api_server.put(router_pod("fraud-router-c", deleting=True))
    api_server.put(version_pod("fraud-versiona-x"))

    pods = adapter.list_router_pods(NAMESPACE, ENDPOINT)

    assert pods == [
        RouterPod("fraud-router-a", "Running", ready=True, terminating=False, pod_ip="10.1.0.7"),
        RouterPod("fraud-router-b", "Pending", ready=False, terminating=False, pod_ip="10.1.0.7"),
        RouterPod("fraud-router-c", "Running", ready=True, terminating=True, pod_ip="10.1.0.7"),
    ]
    (request,) = api_server.requests
    assert request.path == f"/api/v1/namespaces/{NAMESPACE}/pods"
    assert request.query["labelSelector"] == [
        f"model-endpoints.io/endpoint={ENDPOINT},app.kubernetes.io/component=router"
    ]


def test_reads_a_router_pods_metrics_port_through_the_pod_proxy(
    api_server: FakeApiServer, adapter: ClusterAdapter
) -> None:
    api_server.put(router_pod("fraud-router-a"))
    api_server.pod_http[(NAMESPACE, "fraud-router-a", 8405, "/routing")] = (200, '{"revision": 7, "applied_at": 1.5}')
    metrics = "# TYPE haproxy_backend_current_sessions gauge\nhaproxy_backend_current_sessions{proxy=\"versiona\"} 3\n"
    api_server.pod_http[(NAMESPACE, "fraud-router-a", 8405, "/metrics")] = (200, metrics)

    assert adapter.read_router_routing(NAMESPACE, "fraud-router-a") == {"revision": 7, "applied_at": 1.5}
    assert adapter.read_pod_http(NAMESPACE, "fraud-router-a", "/metrics") == metrics
    assert [r.path for r in api_server.requests] == [
        f"/api/v1/namespaces/{NAMESPACE}/pods/fraud-router-a:8405/proxy/routing",
        f"/api/v1/namespaces/{NAMESPACE}/pods/fraud-router-a:8405/proxy/metrics",
    ]


def test_a_pod_proxy_read_passes_its_query_on_to_the_pod(api_server: FakeApiServer, adapter: ClusterAdapter) -> None:
    api_server.put(router_pod("fraud-router-a"))
    api_server.pod_http[(NAMESPACE, "fraud-router-a", 8405, "/metrics")] = lambda request: (
        200,
        f"# scope {request.query.get('scope')}\n",
    )
    text = adapter.read_pod_http(NAMESPACE, "fraud-router-a", "metrics", query={"scope": "backend"})
    assert text == "# scope ['backend']\n"
    (request,) = api_server.requests
    assert request.path == f"/api/v1/namespaces/{NAMESPACE}/pods/fraud-router-a:8405/proxy/metrics"
    assert request.query == {"scope": ["backend"]}


def test_a_pod_proxy_failure_says_what_the_api_server_said(api_server: FakeApiServer, adapter: ClusterAdapter) -> None:
    api_server.put(router_pod("fraud-router-a"))
    with pytest.raises(ClusterError) as raised:
        adapter.read_router_routing(NAMESPACE, "fraud-router-a")
    assert "HTTP 503" in str(raised.value)
    assert "connect: connection refused" in str(raised.value)
    with pytest.raises(NotFoundError, match="Pod 'fraud-router-gone' in namespace 'fraud' not found"):
        adapter.read_router_routing(NAMESPACE, "fraud-router-gone")


def test_a_routing_answer_that_is_not_json_is_an_error(api_server: FakeApiServer, adapter: ClusterAdapter) -> None:
    api_server.put(router_pod("fraud-router-a"))
    api_server.pod_http[(NAMESPACE, "fraud-router-a", 8405, "/routing")] = (200, "ok")
    with pytest.raises(ClusterError, match="answered /routing with no JSON object: 'ok'"):
        adapter.read_router_routing(NAMESPACE, "fraud-router-a")


def test_a_pod_proxy_path_is_one_segment(adapter: ClusterAdapter) -> None:
    with pytest.raises(ValueError, match="one URL segment"):
        adapter.read_pod_http(NAMESPACE, "fraud-router-a", "../../secrets")


def test_reads_a_deployments_desired_and_current_replicas(api_server: FakeApiServer, adapter: ClusterAdapter) -> None:
    name = router_deployment_name(ENDPOINT)
    api_server.put(deployment(name, replicas=3, ready=2, updated=1, available=2))

    assert adapter.read_deployment_replicas(NAMESPACE, name) == DeploymentReplicas(
        name, desired=3, current=3, ready=2, updated=1, available=2
    )
    assert api_server.requests[0].path == f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/{name}"
    with pytest.raises(NotFoundError, match="Deployment 'fraud-versionz' in namespace 'fraud' not found"):
        adapter.read_deployment_replicas(NAMESPACE, "fraud-versionz")


def test_an_unreachable_api_server_is_named(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    path = write_kubeconfig(tmp_path / "kubeconfig", kubeconfig(f"http://127.0.0.1:{port}", context="prod"))
    adapter = ClusterAdapter(ClusterCredentials(kubeconfig=str(path)), timeout_seconds=2)

    with pytest.raises(UnreachableError) as raised:
        adapter.read_config_map(NAMESPACE, ROUTING)

    assert str(raised.value) == (
        f"cannot reach the Kubernetes API server (API server http://127.0.0.1:{port}, context 'prod' of {path}) "
        f"to get ConfigMap '{ROUTING}' in namespace '{NAMESPACE}': connection refused"
    )


def test_the_adapter_pickles_without_its_client(api_server: FakeApiServer, adapter: ClusterAdapter) -> None:
    """Dynamic providers are pickled: an adapter that has talked to the cluster still pickles,
    and the copy connects again on use."""
    api_server.put(routing_config_map({"revision": "1"}))
    before = adapter.read_config_map(NAMESPACE, ROUTING)

    copy = pickle.loads(pickle.dumps(adapter))

    assert copy.credentials == adapter.credentials
    assert copy.read_config_map(NAMESPACE, ROUTING) == before


def test_importing_the_package_does_not_import_the_client() -> None:
    """A Pulumi program imports the providers, and so this package: the client (about 1 s to
    import) is loaded only when a call is made."""
    import subprocess
    import sys

    probe = "import sys, kube_adapter; print('kubernetes' in sys.modules)"
    root = Path(__file__).parents[2]
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "False"
