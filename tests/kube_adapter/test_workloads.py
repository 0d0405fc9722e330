"""The blue/green calls on a temporary ("green") Deployment and Service against the fake API
server: create or replace, read the rollout, scale, delete, and how each fails."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kube_adapter import (
    FIELD_MANAGER,
    AppliedObject,
    ClusterAdapter,
    ClusterCredentials,
    ConflictError,
    DeploymentReplicas,
    DeploymentRollout,
    ForbiddenError,
    NotFoundError,
)
from tests.kube_adapter.cluster_objects import GREEN, NAMESPACE, green_deployment, green_service
from tests.kube_adapter.fake_api_server import MERGE_PATCH, FakeApiServer, RecordedRequest

DEPLOYMENTS = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments"
SERVICES = f"/api/v1/namespaces/{NAMESPACE}/services"


@pytest.fixture
def adapter(kubeconfig_path: Path) -> ClusterAdapter:
    return ClusterAdapter(ClusterCredentials(kubeconfig=str(kubeconfig_path)), timeout_seconds=5)


def calls(api_server: FakeApiServer) -> list[tuple[str, str]]:
    return [(request.method, request.path) for request in api_server.requests]


def test_a_deployment_is_created_as_the_manifest_says(api_server: FakeApiServer, adapter: ClusterAdapter) -> None:
    manifest = green_deployment(replicas=2)

    applied = adapter.apply_deployment(manifest)

    stored = api_server.deployments[(NAMESPACE, GREEN)]
    assert applied == AppliedObject(
        "Deployment",
        NAMESPACE,
        GREEN,
        generation=1,
        resource_version=stored["metadata"]["resourceVersion"],
        created=True,
    )
    (create,) = api_server.requests
    assert (create.method, create.path, create.query) == ("POST", DEPLOYMENTS, {"fieldManager": [FIELD_MANAGER]})
    assert create.body == manifest  # the client's model changed nothing on the way
    assert stored["spec"] == manifest["spec"]


def test_a_headless_service_is_created_and_has_no_generation(
    api_server: FakeApiServer, adapter: ClusterAdapter
) -> None:
    applied = adapter.apply_service(green_service())

    stored = api_server.services[(NAMESPACE, GREEN)]
    assert applied == AppliedObject(
        "Service", NAMESPACE, GREEN, generation=0, resource_version=stored["metadata"]["resourceVersion"], created=True
    )
    assert (stored["spec"]["clusterIP"], stored["spec"]["clusterIPs"]) == ("None", ["None"])
    assert calls(api_server) == [("POST", SERVICES)]
    assert api_server.requests[0].query == {"fieldManager": [FIELD_MANAGER]}


def test_an_existing_deployment_is_replaced_with_the_resource_version_read(
    api_server: FakeApiServer, adapter: ClusterAdapter
) -> None:
    first = adapter.apply_deployment(green_deployment(image="registry.example.com/models/a:1"))
    finished = api_server.finish_rollout(NAMESPACE, GREEN)
    manifest = green_deployment(image="registry.example.com/models/a:2")

    applied = adapter.apply_deployment(manifest)

    assert calls(api_server)[1:] == [
        ("POST", DEPLOYMENTS),
        ("GET", f"{DEPLOYMENTS}/{GREEN}"),
        ("PUT", f"{DEPLOYMENTS}/{GREEN}"),
    ]
    put = api_server.requests[-1]
    assert put.query == {"fieldManager": [FIELD_MANAGER]}
    assert put.body == {
        **manifest,
        "metadata": {**manifest["metadata"], "resourceVersion": finished["metadata"]["resourceVersion"]},
    }
    stored = api_server.deployments[(NAMESPACE, GREEN)]
    assert applied == AppliedObject(
        "Deployment",
        NAMESPACE,
        GREEN,
        generation=2,
        resource_version=stored["metadata"]["resourceVersion"],
        created=False,
    )
    assert int(applied.resource_version) > int(first.resource_version)
    assert stored["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example.com/models/a:2"
    # the new template is not rolled out yet: the controller saw generation 1
    assert not adapter.read_deployment_rollout(NAMESPACE, GREEN).complete


def test_replacing_a_deployment_with_the_same_spec_keeps_its_generation(
    api_server: FakeApiServer, adapter: ClusterAdapter
) -> None:
    adapter.apply_deployment(green_deployment())
    api_server.finish_rollout(NAMESPACE, GREEN)

    applied = adapter.apply_deployment(green_deployment())

    assert (applied.generation, applied.created) == (1, False)
    assert adapter.read_deployment_rollout(NAMESPACE, GREEN).complete


def test_a_replaced_service_keeps_the_cluster_ip_it_was_given(
    api_server: FakeApiServer, adapter: ClusterAdapter
) -> None:
    adapter.apply_service(green_service(headless=False))
    allocated = api_server.services[(NAMESPACE, GREEN)]["spec"]["clusterIP"]
    assert allocated not in ("", "None")

    applied = adapter.apply_service(green_service(headless=False))

    assert applied.created is False
    put = api_server.requests[-1]
    assert put.method == "PUT"
    assert (put.body["spec"]["clusterIP"], put.body["spec"]["clusterIPs"]) == (allocated, [allocated])
    assert api_server.services[(NAMESPACE, GREEN)]["spec"]["clusterIP"] == allocated


def test_a_replaced_headless_service_stays_headless(api_server: FakeApiServer, adapter: ClusterAdapter) -> None:
    adapter.apply_service(green_service())
    service = green_service()
    service["spec"]["ports"][0]["port"] = 5002

    applied = adapter.apply_service(service)

    assert applied.created is False
    put = api_server.requests[-1]
    assert put.body["spec"]["clusterIP"] == "None"
    assert "clusterIPs" not in put.body["spec"]  # the manifest's own, sent as it is
    stored = api_server.services[(NAMESPACE, GREEN)]
    assert (stored["spec"]["clusterIPs"], stored["spec"]["ports"][0]["port"]) == (["None"], 5002)


def test_a_replace_after_someone_else_changed_the_object_fails_and_changes_nothing(
    api_server: FakeApiServer, adapter: ClusterAdapter
) -> None:
    adapter.apply_deployment(green_deployment(image="registry.example.com/models/a:1"))

    def another_writer(request: RecordedRequest) -> None:
        if request.method == "GET":  # between the adapter's read and its PUT
            current = api_server.deployments[(NAMESPACE, GREEN)]
            moved_on = {**current["metadata"], "resourceVersion": "9999"}
            api_server.deployments[(NAMESPACE, GREEN)] = {**current, "metadata": moved_on}

    api_server.after_answer = another_writer
    with pytest.raises(ConflictError, match=f"Deployment '{GREEN}' in namespace '{NAMESPACE}' was changed by someone"):
        adapter.apply_deployment(green_deployment(image="registry.example.com/models/a:2"))

    stored = api_server.deployments[(NAMESPACE, GREEN)]
    assert stored["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example.com/models/a:1"
    assert calls(api_server)[-1] == ("PUT", f"{DEPLOYMENTS}/{GREEN}")


def test_an_object_being_deleted_is_not_replaced(api_server: FakeApiServer, adapter: ClusterAdapter) -> None:
    deleting = green_deployment()
    deleting["metadata"].update(deletionTimestamp="2025-01-01T00:00:00Z", finalizers=["foregroundDeletion"])
    api_server.put(deleting)

    with pytest.raises(ConflictError, match=f"Deployment '{GREEN}' in namespace '{NAMESPACE}' is being deleted"):
        adapter.apply_deployment(green_deployment())

    assert [method for method, _ in calls(api_server)] == ["POST", "GET"]


@pytest.mark.parametrize(
    "apply, manifest, message",
    [
        ("apply_deployment", green_service(), "manifest kind must be 'Deployment', got 'Service'"),
        ("apply_service", green_deployment(), "manifest kind must be 'Service', got 'Deployment'"),
        ("apply_deployment", {**green_deployment(), "apiVersion": "extensions/v1beta1"}, "apiVersion of a Deployment"),
        (
            "apply_service",
            {**green_service(), "metadata": {"name": GREEN}},
            "manifest metadata.namespace must be a non-empty string, got None",
        ),
    ],
)
def test_a_manifest_of_the_wrong_kind_is_refused_before_sending(
    api_server: FakeApiServer, adapter: ClusterAdapter, apply: str, manifest: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        getattr(adapter, apply)(manifest)
    assert api_server.requests == []


def test_deletes_say_whether_there_was_something_to_delete(api_server: FakeApiServer, adapter: ClusterAdapter) -> None:
    adapter.apply_deployment(green_deployment())
    adapter.apply_service(green_service())

    assert adapter.delete_deployment(NAMESPACE, GREEN) is True
    assert adapter.delete_service(NAMESPACE, GREEN) is True
    assert adapter.delete_deployment(NAMESPACE, GREEN) is False
    assert adapter.delete_service(NAMESPACE, GREEN) is False

    assert api_server.deployments == {} and api_server.services == {}
    deletes = [request for request in api_server.requests if request.method == "DELETE"]
    assert [(request.path, request.query) for request in deletes[:2]] == [
        (f"{DEPLOYMENTS}/{GREEN}", {"propagationPolicy": ["Foreground"]}),  # its ReplicaSets and pods go first
        (f"{SERVICES}/{GREEN}", {"propagationPolicy": ["Background"]}),
    ]


def test_a_new_deployments_rollout_completes_when_its_pods_are_ready(
    api_server: FakeApiServer, adapter: ClusterAdapter
) -> None:
    adapter.apply_deployment(green_deployment(replicas=2))

    pending = adapter.read_deployment_rollout(NAMESPACE, GREEN)
    assert pending == DeploymentRollout(
        DeploymentReplicas(GREEN, desired=2, current=0, ready=0, updated=0, available=0),
        generation=1,
        observed_generation=0,
        progress_deadline_exceeded=False,
        progress_message="",
    )
    assert not pending.complete

    api_server.finish_rollout(NAMESPACE, GREEN)
    done = adapter.read_deployment_rollout(NAMESPACE, GREEN)
    assert done.replicas == DeploymentReplicas(GREEN, desired=2, current=2, ready=2, updated=2, available=2)
    assert (done.generation, done.observed_generation, done.progress_deadline_exceeded) == (1, 1, False)
    assert done.complete
    assert adapter.read_deployment_replicas(NAMESPACE, GREEN) == done.replicas


def test_a_rollout_past_its_progress_deadline_says_so(api_server: FakeApiServer, adapter: ClusterAdapter) -> None:
    adapter.apply_deployment(green_deployment(replicas=2))
    api_server.exceed_progress_deadline(NAMESPACE, GREEN)

    stalled = adapter.read_deployment_rollout(NAMESPACE, GREEN)

    assert stalled.progress_deadline_exceeded
    assert stalled.progress_message == f'ReplicaSet "{GREEN}-5d8c7b9f4" has timed out progressing.'
    assert stalled.replicas.available == 0
    assert not stalled.complete


BASE = DeploymentRollout(
    DeploymentReplicas("d", desired=3, current=3, ready=3, updated=3, available=3),
    generation=4,
    observed_generation=4,
    progress_deadline_exceeded=False,
    progress_message="",
)


@pytest.mark.parametrize(
    "change, complete",
    [
        (lambda rollout: rollout, True),
        (lambda rollout: _with(rollout, observed_generation=5), True),  # observed ahead: seen all the same
        (lambda rollout: _with(rollout, observed_generation=3), False),  # the new spec not seen yet
        (lambda rollout: _counts(rollout, updated=2, available=2, current=3), False),  # updated < desired
        (lambda rollout: _counts(rollout, current=4), False),  # an old replica is left
        (lambda rollout: _counts(rollout, available=2, ready=2), False),  # not all available
        (lambda rollout: _counts(rollout, desired=2), False),  # a scale-down not done yet
    ],
)
def test_complete_is_the_controllers_rollout_rule(
    change: Callable[[DeploymentRollout], DeploymentRollout], complete: bool
) -> None:
    assert change(BASE).complete is complete


def _with(rollout: DeploymentRollout, **fields: Any) -> DeploymentRollout:
    return dataclasses.replace(rollout, **fields)


def _counts(rollout: DeploymentRollout, **counts: int) -> DeploymentRollout:
    return dataclasses.replace(rollout, replicas=dataclasses.replace(rollout.replicas, **counts))


def test_the_fake_can_finish_rollouts_by_itself_after_some_reads(
    api_server: FakeApiServer, adapter: ClusterAdapter
) -> None:
    api_server.finish_rollouts_after_reads = 2
    adapter.apply_deployment(green_deployment())

    seen = [adapter.read_deployment_rollout(NAMESPACE, GREEN).complete for _ in range(4)]

    assert seen == [False, False, True, True]
    adapter.scale_deployment(NAMESPACE, GREEN, 3)  # a spec change starts the count again
    seen = [adapter.read_deployment_rollout(NAMESPACE, GREEN).complete for _ in range(3)]
    assert seen == [False, False, True]
    assert adapter.read_deployment_rollout(NAMESPACE, GREEN).replicas.available == 3


def test_the_fake_does_not_finish_a_rollout_past_its_deadline(
    api_server: FakeApiServer, adapter: ClusterAdapter
) -> None:
    api_server.finish_rollouts_after_reads = 0
    adapter.apply_deployment(green_deployment())
    api_server.exceed_progress_deadline(NAMESPACE, GREEN, "stuck pulling the image")

    rollout = adapter.read_deployment_rollout(NAMESPACE, GREEN)

    assert (rollout.complete, rollout.progress_deadline_exceeded) == (False, True)
    assert rollout.progress_message == "stuck pulling the image"


def test_scaling_patches_spec_replicas_only(api_server: FakeApiServer, adapter: ClusterAdapter) -> None:
    adapter.apply_deployment(green_deployment(replicas=1))
    api_server.finish_rollout(NAMESPACE, GREEN)
    before = copy.deepcopy(api_server.deployments[(NAMESPACE, GREEN)])

    adapter.scale_deployment(NAMESPACE, GREEN, 4)

    patch = api_server.requests[-1]
    assert (patch.method, patch.path, patch.headers["content-type"]) == ("PATCH", f"{DEPLOYMENTS}/{GREEN}", MERGE_PATCH)
    assert patch.query == {"fieldManager": [FIELD_MANAGER]}
    assert patch.body == {"spec": {"replicas": 4}}
    rollout = adapter.read_deployment_rollout(NAMESPACE, GREEN)
    assert (rollout.replicas.desired, rollout.generation, rollout.complete) == (4, 2, False)
    after = api_server.deployments[(NAMESPACE, GREEN)]
    assert {**after["spec"], "replicas": 1} == before["spec"]


@pytest.mark.parametrize("replicas", [0, -1, True, 2.5, "3"])
def test_scaling_to_anything_but_a_positive_count_is_refused_before_sending(
    api_server: FakeApiServer, adapter: ClusterAdapter, replicas: Any
) -> None:
    with pytest.raises(ValueError, match=f"spec.replicas must be a positive int, got {replicas!r}"):
        adapter.scale_deployment(NAMESPACE, GREEN, replicas)
    assert api_server.requests == []


def test_scaling_a_missing_deployment_is_named(api_server: FakeApiServer, adapter: ClusterAdapter) -> None:
    with pytest.raises(NotFoundError, match=f"Deployment '{GREEN}' in namespace '{NAMESPACE}' not found"):
        adapter.scale_deployment(NAMESPACE, GREEN, 2)
    with pytest.raises(NotFoundError, match=f'deployments.apps "{GREEN}" not found'):
        adapter.read_deployment_rollout(NAMESPACE, GREEN)


@pytest.mark.parametrize(
    "verb, resource, seeded, call",
    [
        ("create", "deployments", False, lambda adapter: adapter.apply_deployment(green_deployment())),
        ("create", "services", False, lambda adapter: adapter.apply_service(green_service())),
        ("update", "deployments", True, lambda adapter: adapter.apply_deployment(green_deployment())),
        ("get", "services", True, lambda adapter: adapter.apply_service(green_service())),
        ("patch", "deployments", True, lambda adapter: adapter.scale_deployment(NAMESPACE, GREEN, 2)),
        ("delete", "deployments", True, lambda adapter: adapter.delete_deployment(NAMESPACE, GREEN)),
        ("delete", "services", True, lambda adapter: adapter.delete_service(NAMESPACE, GREEN)),
        ("get", "deployments", True, lambda adapter: adapter.read_deployment_rollout(NAMESPACE, GREEN)),
    ],
)
def test_rbac_refusals_name_the_verb_and_resource(
    api_server: FakeApiServer,
    adapter: ClusterAdapter,
    verb: str,
    resource: str,
    seeded: bool,
    call: Callable[[ClusterAdapter], object],
) -> None:
    if seeded:
        api_server.put(green_deployment())
        api_server.put(green_service())
    api_server.forbidden.add((verb, resource, NAMESPACE))

    with pytest.raises(ForbiddenError) as raised:
        call(adapter)

    message = str(raised.value)
    assert message.startswith(f"forbidden: the kubeconfig's user may not {verb} {resource} in namespace '{NAMESPACE}'")
    assert f'cannot {verb} resource "{resource}"' in message  # the API server's own words
