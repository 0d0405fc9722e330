"""`describe` against a deployed stack: its outputs from a fake `pulumi` on PATH, its cluster
from the fake API server (the routing ConfigMap, router pods answering `/routing` through the pod
proxy, the versions' Deployments as the components render them), all in process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from components.manifests.workload import deployment
from kube_adapter import ClusterAdapter, ClusterCredentials
from provider.shift_annotations import ClusterShiftRecorder
from rollout import PlannedStep, RoutersCaughtUp, StepApplied
from router.split import render_split_map
from router_agent.routing_dir import routing_files
from specification.routing import routing_table
from tests.credentials.fake_pulumi import FakePulumi
from tests.kube_adapter.cluster_objects import (
    ENDPOINT,
    NAMESPACE,
    router_pod,
    routing_config_map,
)
from tests.kube_adapter.fake_api_server import FakeApiServer, running_api_server
from tests.kube_adapter.kubeconfigs import kubeconfig, write_kubeconfig
from tests.ports import free_port
from tests.specs import endpoint, version

SPEC = endpoint(
    version("v1", traffic_percentile=20),
    version("v2", traffic_percentile=10, autoscale_max_replicas=4),
    name=ENDPOINT,
    namespace=NAMESPACE,
)
TABLE = routing_table({"v1": 20, "v2": 10}, "v1")  # effective 90 / 10
STEP = routing_table({"v1": 80, "v2": 20}, "v1")
PODS = ("fraud-router-7d9f-aaaaa", "fraud-router-7d9f-bbbbb")
APPLIED_AT = "2025-03-01T10:00:00.000+00:00"
OUTPUTS = {
    "effective_traffic": {ENDPOINT: TABLE.traffic},
    "endpoints": {
        ENDPOINT: {
            "scoring_url": "https://fraud.example.com/score",
            "namespace": NAMESPACE,
            "default_version": "v1",
            "traffic_revision": 3,
            "auth_enabled": True,
            "token_auth_enabled": False,
        }
    },
    "keys": {ENDPOINT: {"primary_key": "p", "secondary_key": "s"}},
}


def version_deployment(name: str, *, desired: int, ready: int) -> dict[str, Any]:
    """The components' Deployment of version `name` with the count an autoscaler set, and a
    status as the controller reports it."""
    manifest = deployment(SPEC, next(v for v in SPEC.versions if v.name == name), None)
    manifest["spec"]["replicas"] = desired
    manifest["status"] = {
        "observedGeneration": 1,
        "replicas": desired,
        "readyReplicas": ready,
        "updatedReplicas": desired,
        "availableReplicas": ready,
    }
    return manifest


def answer_routing(server: FakeApiServer, pod: str, revision: int, error: str | None = None) -> None:
    document = {"revision": revision, "applied_at": APPLIED_AT, "error": error}
    server.pod_http[(NAMESPACE, pod, 8405, "/routing")] = (200, json.dumps(document))


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[FakeApiServer]:
    """The deployed endpoint at rest: the table of revision 3 written and applied by both router
    pods, v1 with 2 of 2 replicas ready, v2 with 1 of 1."""
    with running_api_server() as server:
        server.put(routing_config_map(routing_files(render_split_map(TABLE), 3)))
        for pod in PODS:
            server.put(router_pod(pod))
            answer_routing(server, pod, 3)
        server.put(version_deployment("v1", desired=2, ready=2))
        server.put(version_deployment("v2", desired=1, ready=1))
        yield server
    assert server.unexpected == []


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cluster: FakeApiServer) -> FakePulumi:
    fake = FakePulumi(tmp_path, OUTPUTS)
    monkeypatch.setenv("PATH", fake.path)
    monkeypatch.setenv("MODEL_ENDPOINTS_RUN_DIR", str(tmp_path / "runs"))  # no local run
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kubeconfig", kubeconfig(cluster.url))))
    return fake


def describe(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["describe", "--stack", "dev", "--json", *args]) == 0, capsys.readouterr().err
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document


def status_of(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    document = describe(capsys, *args)
    assert (document["stack"], document["target"]) == ("dev", "stack")
    status: dict[str, Any] = document["endpoints"][ENDPOINT]
    return status


def version_row(
    is_default: bool,
    *,
    weights: tuple[float, float],
    replicas: tuple[int, int],
    declared: int | None = None,
) -> dict[str, Any]:
    """A version's JSON: desired and current weight, desired and current replicas, and the
    declared replica count when the stack's outputs give it."""
    return {
        "is_default": is_default,
        "desired_weight": weights[0],
        "current_weight": weights[1],
        "desired_replicas": replicas[0],
        "current_replicas": replicas[1],
        "declared_replicas": declared,
    }


def conditions(status: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}


def test_an_endpoint_at_rest_is_in_service(
    stack: FakePulumi, cluster: FakeApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    status = status_of(capsys)
    assert status["endpoint_status"] == "InService"
    assert status["versions"] == {
        "v1": version_row(True, weights=(90.0, 90.0), replicas=(2, 2)),
        "v2": version_row(False, weights=(10.0, 10.0), replicas=(1, 1)),
    }
    assert status["routing_revision"] == 3 and status["last_modified_time"] == APPLIED_AT
    assert [r["name"] for r in status["routers"]] == list(PODS)
    assert all(state == "True" for state, _ in conditions(status).values())
    assert stack.argv[:4] == ["stack", "output", "--json", "--show-secrets"]
    calls = {(r.method, r.path) for r in cluster.requests}
    assert ("GET", f"/api/v1/namespaces/{NAMESPACE}/configmaps/fraud-router-routing") in calls
    assert ("GET", f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/fraud-v2") in calls
    assert ("GET", f"/api/v1/namespaces/{NAMESPACE}/pods/{PODS[0]}:8405/proxy/routing") in calls


def test_a_shift_walking_in_the_cluster_is_updating_with_the_live_step_as_current(
    stack: FakePulumi, cluster: FakeApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """`up` wrote step 1 as revision 4; one router has it, the other still serves 3; the
    autoscaler asks for 3 replicas of v2 and 1 is ready."""
    cluster.change_config_map(NAMESPACE, "fraud-router-routing", routing_files(render_split_map(STEP), 4))
    answer_routing(cluster, PODS[0], 4)
    cluster.put(version_deployment("v2", desired=3, ready=1))

    status = status_of(capsys)
    assert status["endpoint_status"] == "Updating"
    assert [status["versions"][v]["current_weight"] for v in ("v1", "v2")] == [None, None]  # mixed
    v2 = status["versions"]["v2"]
    assert (v2["desired_replicas"], v2["current_replicas"]) == (3, 1)
    found = conditions(status)
    assert found["RoutingApplied"] == ("False", "RoutersBehind")
    assert found["WeightsAtDesired"] == ("False", "NotAtDesired")
    assert found["ReplicasReady"] == ("False", "Scaling")

    answer_routing(cluster, PODS[1], 4)
    caught_up = status_of(capsys)
    assert [caught_up["versions"][v]["current_weight"] for v in ("v1", "v2")] == [80.0, 20.0]
    assert caught_up["routing_revision"] == 4


def _recorder(cluster: FakeApiServer, now: datetime) -> ClusterShiftRecorder:
    adapter = ClusterAdapter(ClusterCredentials(kubeconfig=json.dumps(kubeconfig(cluster.url))), timeout_seconds=5)
    said: list[str] = []
    return ClusterShiftRecorder(adapter, NAMESPACE, "fraud-router-routing", said.append, now=lambda: now)


def test_the_shift_recorded_by_up_is_the_pending_deployment(
    stack: FakePulumi, cluster: FakeApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """`up` is walking step 1 of 2 (recorded on the ConfigMap's annotations, as the TrafficSplit
    records it) and both routers serve it."""
    began = datetime.now(UTC)
    target = routing_table({"v1": 70, "v2": 30}, "v1")
    steps = (PlannedStep(STEP, 60, 50.0), PlannedStep(target, 60, 100.0))
    record = _recorder(cluster, began)
    record.begin(TABLE, steps, termination_wait_seconds=0, give_up_after_seconds=900)
    cluster.change_config_map(NAMESPACE, "fraud-router-routing", routing_files(render_split_map(STEP), 4))
    for pod in PODS:
        answer_routing(cluster, pod, 4)
    record.on_event(StepApplied(1, 2, 4, STEP, 50.0, 0.5))
    record.on_event(RoutersCaughtUp(1, 2, 4, routers=2, waited_seconds=0.5, elapsed_seconds=1.0))

    status = status_of(capsys)
    assert status["endpoint_status"] == "Updating"
    pending = status["pending_deployment"]
    assert (pending["step"], pending["step_count"], pending["phase"]) == (1, 2, "step")
    assert pending["started_at"] == began.isoformat(timespec="milliseconds")
    assert pending["next_step_at"] == (began + timedelta(seconds=61)).isoformat(timespec="milliseconds")
    # desired is where the shift goes; current what the routers serve
    assert [status["versions"][v]["desired_weight"] for v in ("v1", "v2")] == [70.0, 30.0]
    assert [status["versions"][v]["current_weight"] for v in ("v1", "v2")] == [80.0, 20.0]


def test_a_shift_whose_up_was_killed_is_a_failure_once_past_its_deadline(
    stack: FakePulumi, cluster: FakeApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    record = _recorder(cluster, datetime.now(UTC) - timedelta(hours=2))
    record.begin(TABLE, (PlannedStep(STEP, 60, 100.0),), 0, give_up_after_seconds=900)
    status = status_of(capsys)
    assert status["pending_deployment"] is None
    assert "a traffic shift stopped at step 0 of 1 without completing" in status["failure_reason"]


def test_routers_that_do_not_answer_fail_the_endpoint(
    stack: FakePulumi, cluster: FakeApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster.pod_http.clear()  # the agents are down: the pod proxy gets connection refused
    status = status_of(capsys)
    assert status["endpoint_status"] == "Failed"
    assert status["failure_reason"].startswith(f"no router answers: {PODS[0]}: ")
    assert "connection refused" in status["failure_reason"]
    assert all(not r["answered"] for r in status["routers"])


def test_a_router_that_refused_the_table_fails_the_endpoint(
    stack: FakePulumi, cluster: FakeApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    answer_routing(cluster, PODS[1], 2, error="split.map line 2: backend 'be_v3' is unknown")
    status = status_of(capsys)
    assert status["endpoint_status"] == "Failed"
    assert status["failure_reason"] == (
        f"router {PODS[1]} refused the table (it serves revision 2): "
        "split.map line 2: backend 'be_v3' is unknown"
    )


def test_pending_router_pods_are_creating(
    stack: FakePulumi, cluster: FakeApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    for pod in PODS:
        cluster.put(router_pod(pod, phase="Pending", ready=False))
    cluster.put(version_deployment("v1", desired=2, ready=0))
    status = status_of(capsys)
    assert status["endpoint_status"] == "Creating"
    assert [r["error"] for r in status["routers"]] == ["pod is Pending", "pod is Pending"]
    assert not any("/proxy/" in r.path for r in cluster.requests)  # a pending pod is not asked


def test_a_missing_deployment_and_configmap_are_reported_not_fatal(
    stack: FakePulumi, cluster: FakeApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A release from before the routing ConfigMap: the written table is the outputs' own."""
    del cluster.deployments[(NAMESPACE, "fraud-v2")]
    del cluster.config_maps[(NAMESPACE, "fraud-router-routing")]
    status = status_of(capsys)
    assert status["endpoint_status"] == "InService"
    assert status["routing_revision"] == 3 and status["versions"]["v2"]["current_weight"] == 10.0
    reason = next(c for c in status["conditions"] if c["type"] == "ReplicasReady")
    assert (reason["status"], reason["reason"]) == ("False", "ReplicaCountsUnknown")
    assert reason["message"].startswith("v2: Deployment 'fraud-v2' in namespace 'fraud' not found")
    assert status["versions"]["v2"]["desired_replicas"] is None


def test_a_revision_carried_as_a_whole_float_is_read(
    stack: FakePulumi, capsys: pytest.CaptureFixture[str]
) -> None:
    fields = {**OUTPUTS["endpoints"][ENDPOINT], "traffic_revision": 3.0}
    stack.set_outputs({**OUTPUTS, "endpoints": {ENDPOINT: fields}})
    assert status_of(capsys)["endpoint_status"] == "InService"


def _retaining(stack: FakePulumi, declared_traffic: dict[str, float]) -> None:
    """Outputs of a stack that retains both properties: it declares `declared_traffic` and v1 at
    2 replicas, while the cluster keeps revision 3's table (90 / 10) and v1 at 5 replicas."""
    fields = {
        **OUTPUTS["endpoints"][ENDPOINT],
        "retained_properties": ["DesiredInstanceCount", "DesiredWeight"],
        "declared_replicas": {"v1": 2.0},
    }
    stack.set_outputs(
        {**OUTPUTS, "effective_traffic": {ENDPOINT: declared_traffic}, "endpoints": {ENDPOINT: fields}}
    )


def test_retained_live_values_show_beside_the_declared_ones(
    stack: FakePulumi, cluster: FakeApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _retaining(stack, {"v1": 50.0, "v2": 50.0})
    cluster.put(version_deployment("v1", desired=5, ready=5))
    status = status_of(capsys)
    assert status["endpoint_status"] == "InService"
    assert status["versions"] == {
        "v1": version_row(True, weights=(50.0, 90.0), replicas=(5, 5), declared=2),
        "v2": version_row(False, weights=(50.0, 10.0), replicas=(1, 1)),
    }
    found = conditions(status)
    assert found["WeightsAtDesired"] == ("False", "Retained")
    assert found["Retained"] == ("True", "LiveValuesKept")
    retained = next(c for c in status["conditions"] if c["type"] == "Retained")
    assert "replicas of v1: live 5, declared 2" in retained["message"]
    assert "weights: live v1 90%, v2 10%, declared v1 50%, v2 50%" in retained["message"]

    assert main(["describe", "--stack", "dev", "--target", "stack"]) == 0
    text = capsys.readouterr().err
    assert "declared" in text and "LiveValuesKept" in text


def test_the_table_is_printed_for_a_person(stack: FakePulumi, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["describe", "--stack", "dev", "--endpoint", ENDPOINT, "--target", "stack"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    text = captured.err
    assert "endpoint fraud: InService (deployed stack dev)" in text
    assert "routing revision 3" in text
    for row in ("v1 (default)", "RoutingApplied", "every router (2) serves revision 3", PODS[1]):
        assert row in text, row


@pytest.mark.parametrize(
    "changes, message",
    [
        (
            {"endpoints": {ENDPOINT: {"default_version": "v1", "traffic_revision": 3}}},
            "lack endpoints.fraud.namespace",
        ),
        ({"effective_traffic": {}}, "lack effective_traffic.fraud"),
        (
            {"effective_traffic": {ENDPOINT: {"v1": 90, "v2": 20}}},
            "effective_traffic.fraud is no routing table",
        ),
        ({"endpoints": {}}, "exports no endpoints"),
        (
            {"endpoints": {ENDPOINT: {**OUTPUTS["endpoints"][ENDPOINT], "traffic_revision": "3"}}},
            "lack endpoints.fraud.traffic_revision",
        ),
    ],
)
def test_outputs_without_what_describe_needs_fail_with_one_message(
    stack: FakePulumi, capsys: pytest.CaptureFixture[str], changes: dict[str, Any], message: str
) -> None:
    stack.set_outputs({**OUTPUTS, **changes})
    assert main(["describe", "--stack", "dev"]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("error:") == 1


def test_an_unknown_endpoint_or_stack_fails(stack: FakePulumi, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["describe", "--stack", "dev", "--endpoint", "other"]) == 1
    assert "has no endpoint 'other' (endpoints: fraud)" in capsys.readouterr().err
    assert main(["describe", "--stack", "prod"]) == 1
    assert "no stack named prod found" in capsys.readouterr().err


def test_an_unreachable_cluster_fails_with_one_message(
    stack: FakePulumi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    closed = write_kubeconfig(tmp_path / "closed", kubeconfig(f"http://127.0.0.1:{free_port()}"))
    assert main(["describe", "--stack", "dev", "--kubeconfig", str(closed)]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the Kubernetes API server" in err and "connection refused" in err


def test_rbac_that_forbids_listing_router_pods_fails_naming_the_grant(
    stack: FakePulumi, cluster: FakeApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster.forbidden.add(("list", "pods", NAMESPACE))
    assert main(["describe", "--stack", "dev"]) == 1
    assert "verb 'list' on 'pods'" in capsys.readouterr().err


def test_the_context_option_picks_the_kubeconfig_context(
    stack: FakePulumi, tmp_path: Path, cluster: FakeApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}"
    config = write_kubeconfig(tmp_path / "two", kubeconfig(unreachable, others={"staging": cluster.url}))
    status = status_of(capsys, "--kubeconfig", str(config), "--context", "staging")
    assert status["endpoint_status"] == "InService"
