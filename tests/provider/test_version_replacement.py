"""A cluster blue/green replacement of a version, driven through the SDK's provider server as the
engine drives it: the preview of a version update (`check`), then the TrafficSplit's update that
creates green, waits for it and walks the version's traffic onto it, and the VersionSettle update
that folds green back and deletes it, against a fake API server with scripted router pods."""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest

from components.manifests.green import green_deployment, green_service, serving_digest
from components.manifests.workload import deployment
from provider.replacement_rules import VersionServing
from provider.version_settle import VersionSettleProvider
from router.split import render_split_map
from router_agent.routing_dir import routing_files
from specification.endpoint import EndpointSpec
from specification.routing import RoutingTable
from tests.kube_adapter.cluster_objects import ENDPOINT, NAMESPACE, router_pod, routing_config_map
from tests.kube_adapter.fake_api_server import FakeApiServer, RecordedRequest
from tests.kube_adapter.scripted_routers import ScriptedAgent, ScriptedMetrics
from tests.provider.provider_server import ProviderClient, ProviderServer
from tests.provider.test_split_walk import (
    CONFIG_MAP,
    NONE,
    ROUTERS,
    SOME,
    WALK_TIMEOUT,
    canary,
    created,
    files,
    five_xx_alarm,
    split_inputs,
)
from tests.specs import endpoint, version

GREEN = f"{ENDPOINT}-versionb-green"
DEPLOYMENTS = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments"
SERVICES = f"/api/v1/namespaces/{NAMESPACE}/services"


def _spec(image: str) -> EndpointSpec:
    return endpoint(
        version("versiona", traffic_percentile=90, num_replicas=2),
        version("versionb", traffic_percentile=10, num_replicas=2, image=image),
        name=ENDPOINT,
        namespace=NAMESPACE,
    )


def serving(image: str = "registry.example.com/model:1") -> dict[str, Any]:
    """`versions_serving` as the Endpoint gives it, for versionb running `image`."""
    spec = _spec(image)
    answer = {}
    for each in spec.versions:
        blue = deployment(spec, each, None)
        answer[each.name] = VersionServing(
            digest=serving_digest(blue),
            fleet=2,
            green_deployment=green_deployment(spec, each, blue, 2),
            green_service=green_service(spec, each),
        ).model_dump(mode="json")
    return answer


SHARES = {"versiona": 90, "versionb": 10}
NEW_IMAGE = "registry.example.com/model:2"


@pytest.fixture
def settler(provider_server: ProviderServer) -> ProviderClient:
    client = ProviderClient(provider_server, VersionSettleProvider(), "VersionSettle")
    client.configure()
    return client


def guarded(shares: dict[str, float], kubeconfig: Any, image: str, **extra: Any) -> dict[str, Any]:
    extra.setdefault("blue_green_update_policy", canary(25, wait=0))
    return split_inputs(shares, kubeconfig, versions_serving=serving(image), **extra)


def test_the_preview_of_a_version_update_shows_a_blue_green_replacement_and_its_steps(
    client: ProviderClient,
) -> None:
    id_, inputs, outputs = created(client, guarded(SHARES, "/a/kubeconfig", "registry.example.com/model:1"))
    assert outputs["serving_digests"] == {name: s["digest"] for name, s in serving().items()}
    assert "replaced_version" not in outputs  # a create replaces nothing

    checked = client.check(inputs, guarded(SHARES, "/a/kubeconfig", NEW_IMAGE))

    assert checked.failures == {}
    assert checked.inputs["replaced_version"] == "versionb"
    assert checked.inputs["planned_replacement"] == [
        {"versiona": 90.0, "versionb": 7.5, "versionb_green": 2.5},
        {"versiona": 90.0, "versionb": 0.0, "versionb_green": 10.0},
    ]
    assert checked.inputs["planned_steps"] == []  # the routing itself does not change
    assert client.diff(id_, outputs, checked.inputs) == SOME


def test_without_a_policy_a_new_definition_is_recorded_and_not_replaced(client: ProviderClient) -> None:
    old = split_inputs(SHARES, "/a/kubeconfig", versions_serving=serving())
    id_, inputs, outputs = created(client, old)
    checked = client.check(inputs, split_inputs(SHARES, "/a/kubeconfig", versions_serving=serving(NEW_IMAGE)))
    assert checked.failures == {} and "replaced_version" not in checked.inputs
    assert client.diff(id_, outputs, checked.inputs) == SOME  # the new digest is recorded
    updated = client.update(id_, outputs, checked.inputs, timeout=WALK_TIMEOUT)
    assert updated["serving_digests"]["versionb"] == serving(NEW_IMAGE)["versionb"]["digest"]


def test_a_version_at_zero_percent_rolls_in_place(client: ProviderClient) -> None:
    shares = {"versiona": 100, "versionb": 0}
    _, inputs, _ = created(client, guarded(shares, "/a/kubeconfig", "registry.example.com/model:1"))
    checked = client.check(inputs, guarded(shares, "/a/kubeconfig", NEW_IMAGE))
    assert checked.failures == {} and "replaced_version" not in checked.inputs


def test_a_replacement_and_a_routing_change_in_one_up_are_refused_at_preview(client: ProviderClient) -> None:
    _, inputs, _ = created(client, guarded(SHARES, "/a/kubeconfig", "registry.example.com/model:1"))
    refused = client.check(inputs, guarded({"versiona": 80, "versionb": 20}, "/a/kubeconfig", NEW_IMAGE))
    assert "versions_serving.versionb" in refused.failures
    assert "apply the two one after the other" in refused.failures["versions_serving.versionb"]


def test_two_versions_replaced_in_one_up_are_refused_at_preview(client: ProviderClient) -> None:
    _, inputs, _ = created(client, guarded(SHARES, "/a/kubeconfig", "registry.example.com/model:1"))
    both = serving(NEW_IMAGE)
    both["versiona"] = {**both["versiona"], "digest": "0" * 64}
    refused = client.check(
        inputs, split_inputs(SHARES, "/a/kubeconfig", versions_serving=both, blue_green_update_policy=canary(25, wait=0))
    )
    assert "change one version's definition per `pulumi up`" in refused.failures["versions_serving"]


# -- the update: green created, walked onto, settled, deleted ------------------------------------

DEPLOYMENT_PATH = f"{DEPLOYMENTS}/{GREEN}"
SERVICE_PATH = f"{SERVICES}/{GREEN}"


def with_backends(agent: ScriptedAgent, backends: list[str]) -> Any:
    """A router pod's `/routing` answer that also lists HAProxy's backends, as the agent does."""

    def answer(request: RecordedRequest) -> tuple[int, str]:
        status, body = agent(request)
        return status, json.dumps({**json.loads(body), "backends": backends})

    return answer


class Cluster:
    """The endpoint as `up` finds it: routing ConfigMap (90/10, revision 1), two router pods whose
    agents have the green backends (or not), metrics pages, and blue's Deployment of versionb."""

    def __init__(
        self,
        api_server: FakeApiServer,
        *,
        green_backend: bool = True,
        per_scrape: dict[str, tuple[int, int]] | None = None,
        blue_replicas: int = 2,
    ) -> None:
        self.api_server = api_server
        api_server.put(routing_config_map(files({"versiona": 90, "versionb": 10}, 1)))
        backends = ["be_versiona", "be_versionb", "routing_agent"]
        if green_backend:
            backends += ["be_versiona_green", "be_versionb_green"]
        self.agents = {}
        for pod in ROUTERS:
            api_server.put(router_pod(pod))
            self.agents[pod] = ScriptedAgent(api_server, NAMESPACE, CONFIG_MAP)
            api_server.pod_http[(NAMESPACE, pod, 8405, "/routing")] = with_backends(self.agents[pod], backends)
            metrics = ScriptedMetrics(per_scrape or {"versionb_green": (100, 0)})
            api_server.pod_http[(NAMESPACE, pod, 8405, "/metrics")] = metrics
        spec = _spec("registry.example.com/model:1")
        blue = deployment(spec, spec.version("versionb"), None)
        api_server.put({**blue, "spec": {**blue["spec"], "replicas": blue_replicas}})
        api_server.finish_rollout(NAMESPACE, f"{ENDPOINT}-versionb")
        api_server.finish_rollouts_after_reads = 0

    def calls(self, path: str) -> list[str]:
        return [r.method for r in self.api_server.requests if r.path == path or r.path.startswith(f"{path}?")]

    def writes(self) -> list[dict[str, str]]:
        path = f"/api/v1/namespaces/{NAMESPACE}/configmaps/{CONFIG_MAP}"
        return [
            r.body["data"] for r in self.api_server.requests if r.method == "PATCH" and r.path == path and "data" in r.body
        ]


def green_files(traffic: dict[str, float], revision: int) -> dict[str, str]:
    return routing_files(
        render_split_map(RoutingTable({k: round(v * 100) for k, v in traffic.items()}, "versiona")), revision
    )


def failed_update(client: ProviderClient, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> str:
    with pytest.raises(grpc.RpcError) as raised:
        client.update(id_, olds, news, timeout=WALK_TIMEOUT)
    return str(raised.value.details()).strip().splitlines()[-1]


def replacement(client: ProviderClient, kubeconfig: str, **extra: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A split created with versionb on image 1, and the checked inputs that move it to image 2."""
    id_, inputs, outputs = created(client, guarded(SHARES, kubeconfig, "registry.example.com/model:1", **extra))
    news = client.check(inputs, guarded(SHARES, kubeconfig, NEW_IMAGE, **extra))
    assert news.failures == {} and news.inputs["replaced_version"] == "versionb"
    return id_, outputs, news.inputs


def settle_inputs(kubeconfig: str, image: str) -> dict[str, Any]:
    return {
        "endpoint": ENDPOINT,
        "namespace": NAMESPACE,
        "versions": ["versiona", "versionb"],
        "default_version": "versiona",
        "serving_digests": {name: s["digest"] for name, s in serving(image).items()},
        "kubeconfig": kubeconfig,
    }


def test_a_replacement_creates_green_walks_onto_it_and_settle_folds_it_back_and_deletes_it(
    client: ProviderClient, settler: ProviderClient, api_server: FakeApiServer, kubeconfig_text: str
) -> None:
    cluster = Cluster(api_server, blue_replicas=3)  # the autoscaler gave blue more than declared
    settle_id, settle_outputs = settler.create(settler.check({}, settle_inputs(kubeconfig_text, "registry.example.com/model:1")).inputs)
    assert api_server.requests == [] or cluster.calls(DEPLOYMENT_PATH) == []  # a create writes nothing
    id_, outputs, news = replacement(client, kubeconfig_text)

    updated = client.update(id_, outputs, news, timeout=WALK_TIMEOUT)

    # green: the new definition, sized like blue runs, created before any traffic moved
    green = api_server.deployments[(NAMESPACE, GREEN)]
    assert green["spec"]["template"]["spec"]["containers"][0]["image"] == NEW_IMAGE
    assert green["spec"]["replicas"] == 3
    assert (NAMESPACE, GREEN) in api_server.services
    created_at = max(r.at for r in api_server.requests if r.method == "POST")
    first_write = min(r.at for r in api_server.requests if r.method == "PATCH" and "data" in r.body)
    assert created_at < first_write
    # the version's share walked onto green in the canary's steps; versiona never moved
    assert cluster.writes() == [
        green_files({"versiona": 90, "versionb": 7.5, "versionb_green": 2.5}, 2),
        green_files({"versiona": 90, "versionb": 0, "versionb_green": 10}, 3),
    ]
    assert updated["revision"] == 3 and updated["replaced_version"] == "versionb"
    assert updated["serving_digests"]["versionb"] == serving(NEW_IMAGE)["versionb"]["digest"]
    assert updated["effective_traffic"] == {"versiona": 90.0, "versionb": 10.0}

    # (Pulumi rolls blue's Deployment here.) VersionSettle folds green back, then deletes it.
    same = settler.check(settle_outputs, settle_inputs(kubeconfig_text, "registry.example.com/model:1")).inputs
    assert settler.diff(settle_id, settle_outputs, same) == NONE  # no new definition: no settle
    settled = settler.check(settle_outputs, settle_inputs(kubeconfig_text, NEW_IMAGE)).inputs
    assert settler.diff(settle_id, settle_outputs, settled) == SOME
    settler.update(settle_id, settle_outputs, settled, timeout=WALK_TIMEOUT)

    assert cluster.writes()[-1] == green_files({"versiona": 90, "versionb": 10}, 4)
    assert (NAMESPACE, GREEN) not in api_server.deployments and (NAMESPACE, GREEN) not in api_server.services
    assert cluster.calls(DEPLOYMENT_PATH)[-1] == "DELETE" and cluster.calls(SERVICE_PATH)[-1] == "DELETE"
    table_written = max(r.at for r in api_server.requests if r.method == "PATCH" and "data" in r.body)
    deleted_at = min(r.at for r in api_server.requests if r.method == "DELETE")
    assert table_written < deleted_at, "green goes only once no router sends it requests"


def test_a_green_that_fails_its_alarm_is_rolled_back_and_deleted_and_up_fails_naming_it(
    client: ProviderClient, api_server: FakeApiServer, kubeconfig_text: str
) -> None:
    cluster = Cluster(api_server, per_scrape={"versiona": (100, 0), "versionb_green": (100, 60)})
    id_, outputs, news = replacement(
        client, kubeconfig_text, blue_green_update_policy=canary(25, wait=2), alarms=five_xx_alarm(0.05)
    )

    message = failed_update(client, id_, outputs, news)

    assert "alarm 'canary-5xx' breached: 5xx_ratio of versionb_green = 0.6 > threshold 0.05" in message
    assert "version 'versionb' was not replaced: its green pods were deleted" in message
    assert f"Deployment/{GREEN}" in message and f"Service/{GREEN}" in message
    assert cluster.writes() == [
        green_files({"versiona": 90, "versionb": 7.5, "versionb_green": 2.5}, 2),
        green_files({"versiona": 90, "versionb": 10}, 3),  # all of versionb back on blue
    ]
    assert (NAMESPACE, GREEN) not in api_server.deployments and (NAMESPACE, GREEN) not in api_server.services
    blue = api_server.deployments[(NAMESPACE, f"{ENDPOINT}-versionb")]
    assert blue["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example.com/model:1"


def test_a_green_that_never_gets_ready_is_deleted_before_any_traffic_moves(
    client: ProviderClient, api_server: FakeApiServer, kubeconfig_text: str
) -> None:
    cluster = Cluster(api_server)
    api_server.finish_rollouts_after_reads = None
    id_, outputs, news = replacement(client, kubeconfig_text)

    def stall(request: RecordedRequest) -> None:
        if request.method == "POST" and request.path == DEPLOYMENTS:
            stored = api_server.deployments[(NAMESPACE, GREEN)]
            stored["status"] = {
                "observedGeneration": 1,
                "conditions": [
                    {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                     "message": 'ReplicaSet "fraud-versionb-green-5d8f" has timed out progressing.'}
                ],
            }

    api_server.after_answer = stall
    message = failed_update(client, id_, outputs, news)

    assert "passed its progress deadline with 0 of 2 pods ready" in message
    assert "has timed out progressing" in message and "green was deleted" in message
    assert cluster.writes() == []  # no table was written
    assert (NAMESPACE, GREEN) not in api_server.deployments


def test_routers_without_the_green_backend_make_the_version_roll_in_place_once(
    client: ProviderClient, api_server: FakeApiServer, kubeconfig_text: str
) -> None:
    cluster = Cluster(api_server, green_backend=False)
    id_, outputs, news = replacement(client, kubeconfig_text)
    updated = client.update(id_, outputs, news, timeout=WALK_TIMEOUT)
    assert cluster.writes() == [] and (NAMESPACE, GREEN) not in api_server.deployments
    assert updated["serving_digests"]["versionb"] == serving(NEW_IMAGE)["versionb"]["digest"]


def test_a_replacement_a_killed_up_left_half_way_is_walked_on_from_where_it_stopped(
    client: ProviderClient, api_server: FakeApiServer, kubeconfig_text: str
) -> None:
    cluster = Cluster(api_server)
    # the killed `up` had created green and written the canary step
    api_server.change_config_map(
        NAMESPACE, CONFIG_MAP, green_files({"versiona": 90, "versionb": 7.5, "versionb_green": 2.5}, 2)
    )
    id_, outputs, news = replacement(client, kubeconfig_text)
    updated = client.update(id_, outputs, news, timeout=WALK_TIMEOUT)
    # the canary's 25% of what is left to move (7.5%), then the rest: from the live table on
    assert cluster.writes() == [
        green_files({"versiona": 90, "versionb": 5.62, "versionb_green": 4.38}, 3),
        green_files({"versiona": 90, "versionb": 0, "versionb_green": 10}, 4),
    ]
    assert updated["revision"] == 4


def test_settle_keeps_no_credentials_and_a_destroy_without_a_cluster_does_not_fail(
    settler: ProviderClient, api_server: FakeApiServer, kubeconfig_text: str
) -> None:
    Cluster(api_server)
    spec = _spec(NEW_IMAGE)
    each = spec.version("versionb")
    api_server.put(green_deployment(spec, each, deployment(spec, each, None), 2))
    api_server.put(green_service(spec, each))
    id_, outputs = settler.create(settler.check({}, settle_inputs(kubeconfig_text, NEW_IMAGE)).inputs)
    assert "kubeconfig" not in outputs and kubeconfig_text not in json.dumps(outputs)
    assert (NAMESPACE, GREEN) in api_server.deployments  # a create touches nothing
    # a delete gets the outputs only, so it uses $KUBECONFIG, which reaches no cluster here:
    # said in a line, and the destroy goes on
    settler.delete(id_, outputs)


# -- sizes in pods: green grows; a guarded rolling update; a shift sized by the fleets ----------

CANARY_ONE_POD = {
    "traffic_routing_configuration": {
        "type": "CANARY",
        "canary_size": {"type": "INSTANCE_COUNT", "value": 1},
        "wait_interval_in_seconds": 0,
    }
}


def test_an_instance_count_canary_starts_green_small_and_grows_it_before_the_last_step(
    client: ProviderClient, api_server: FakeApiServer, kubeconfig_text: str
) -> None:
    cluster = Cluster(api_server)
    id_, outputs, news = replacement(client, kubeconfig_text, blue_green_update_policy=CANARY_ONE_POD)
    # one pod of versionb's two takes half of its traffic, then green is whole
    assert news["planned_replacement"] == [
        {"versiona": 90.0, "versionb": 5.0, "versionb_green": 5.0},
        {"versiona": 90.0, "versionb": 0.0, "versionb_green": 10.0},
    ]

    client.update(id_, outputs, news, timeout=WALK_TIMEOUT)

    created = next(r for r in api_server.requests if r.method == "POST" and r.path == DEPLOYMENTS)
    assert created.body["spec"]["replicas"] == 1
    scaled = [r for r in api_server.requests if r.method == "PATCH" and r.path == DEPLOYMENT_PATH]
    assert [r.body for r in scaled] == [{"spec": {"replicas": 2}}]
    writes = [r for r in api_server.requests if r.method == "PATCH" and "data" in (r.body or {})]
    assert writes[0].at < scaled[0].at < writes[1].at, "green grows after the canary, before the rest"
    assert cluster.writes()[-1] == green_files({"versiona": 90, "versionb": 0, "versionb_green": 10}, 3)


def test_a_canary_of_more_pods_than_half_the_fleet_fails_the_preview(client: ProviderClient) -> None:
    three = {
        "traffic_routing_configuration": {
            "type": "CANARY",
            "canary_size": {"type": "INSTANCE_COUNT", "value": 2},
            "wait_interval_in_seconds": 0,
        }
    }
    _, inputs, _ = created(client, guarded(SHARES, "/a/kubeconfig", "registry.example.com/model:1", blue_green_update_policy=three))
    refused = client.check(inputs, guarded(SHARES, "/a/kubeconfig", NEW_IMAGE, blue_green_update_policy=three))
    message = refused.failures["blue_green_update_policy"]
    assert message.startswith("replacing version versionb: ")
    assert "canary_size.value" in message and "fleet of 2 pods" in message


ROLLING = {"maximum_batch_size": {"type": "INSTANCE_COUNT", "value": 1}, "wait_interval_in_seconds": 1}


def test_a_rolling_policy_with_alarms_is_a_guarded_rolling_update_batch_by_batch(
    client: ProviderClient, api_server: FakeApiServer, kubeconfig_text: str
) -> None:
    cluster = Cluster(api_server, per_scrape={"versionb_green": (50, 0)})
    id_, inputs, outputs = created(
        client,
        split_inputs(
            SHARES, kubeconfig_text, versions_serving=serving(), rolling_update_policy=ROLLING, alarms=five_xx_alarm(0.05)
        ),
    )
    news = client.check(
        inputs,
        split_inputs(
            SHARES, kubeconfig_text, versions_serving=serving(NEW_IMAGE), rolling_update_policy=ROLLING, alarms=five_xx_alarm(0.05)
        ),
    ).inputs
    assert news["replaced_version"] == "versionb"
    assert news["planned_replacement"] == [
        {"versiona": 90.0, "versionb": 5.0, "versionb_green": 5.0},  # one batch of one pod of two
        {"versiona": 90.0, "versionb": 0.0, "versionb_green": 10.0},
    ]

    client.update(id_, outputs, news, timeout=WALK_TIMEOUT)

    assert [r.body for r in api_server.requests if r.method == "PATCH" and r.path == DEPLOYMENT_PATH] == [
        {"spec": {"replicas": 2}}
    ]
    assert cluster.writes()[-1] == green_files({"versiona": 90, "versionb": 0, "versionb_green": 10}, 3)
    assert any(r.path.endswith("/proxy/metrics") for r in api_server.requests), "each batch baked with its alarm"


def test_a_rolling_policy_without_alarms_stays_kubernetes_own(client: ProviderClient) -> None:
    _, inputs, _ = created(client, split_inputs(SHARES, "/k", versions_serving=serving(), rolling_update_policy=ROLLING))
    checked = client.check(inputs, split_inputs(SHARES, "/k", versions_serving=serving(NEW_IMAGE), rolling_update_policy=ROLLING))
    assert checked.failures == {} and "replaced_version" not in checked.inputs


def test_a_traffic_shift_sized_in_pods_counts_the_gaining_versions_declared_pods(client: ProviderClient) -> None:
    _, inputs, _ = created(client, guarded(SHARES, "/k", "registry.example.com/model:1", blue_green_update_policy=CANARY_ONE_POD))
    checked = client.check(
        inputs,
        guarded({"versiona": 50, "versionb": 50}, "/k", "registry.example.com/model:1", blue_green_update_policy=CANARY_ONE_POD),
    )
    assert checked.failures == {}
    # versionb gains and is declared with 2 pods: a canary of 1 pod moves half the change
    assert checked.inputs["planned_steps"] == [
        {"versiona": 70.0, "versionb": 30.0},
        {"versiona": 50.0, "versionb": 50.0},
    ]


def test_green_is_kept_when_the_rollback_itself_is_unconfirmed(
    client: ProviderClient, api_server: FakeApiServer, kubeconfig_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process (the walk's failure is made up): routers that may still send green requests
    keep green; only a confirmed rollback deletes it."""
    from provider import version_replacement
    from provider.split_rules import TrafficSplitInputs
    from provider.split_walk import TrafficShiftError

    Cluster(api_server)
    _, outputs, news = replacement(client, kubeconfig_text)

    def unconfirmed(*_args: Any, **_kwargs: Any) -> int:
        raise TrafficShiftError("traffic shift failed: the rollback is unconfirmed", rolled_back=False)

    monkeypatch.setattr(version_replacement, "walk_tables", unconfirmed)
    old = TrafficSplitInputs.model_validate({k: v for k, v in outputs.items() if k in TrafficSplitInputs.model_fields})
    new = TrafficSplitInputs.model_validate({k: v for k, v in news.items() if k in TrafficSplitInputs.model_fields})
    with pytest.raises(TrafficShiftError, match="green pods \\(fraud-versionb-green\\) were kept"):
        version_replacement.replace_version(old, new, "versionb", 1)
    assert (NAMESPACE, GREEN) in api_server.deployments


def test_a_new_port_or_health_path_rolls_in_place_since_the_routers_probe_the_old_ones(
    client: ProviderClient,
) -> None:
    def probed(image: str, probe: str) -> dict[str, Any]:
        found = serving(image)
        found["versionb"] = {**found["versionb"], "probe": probe}
        return split_inputs(SHARES, "/k", versions_serving=found, blue_green_update_policy=canary(25, wait=0))

    _, inputs, _ = created(client, probed("registry.example.com/model:1", "5001 /health"))
    assert inputs["serving_probes"] == {"versionb": "5001 /health"}
    same_probe = client.check(inputs, probed(NEW_IMAGE, "5001 /health"))
    assert same_probe.inputs["replaced_version"] == "versionb"
    moved = client.check(inputs, probed(NEW_IMAGE, "5001 /ready"))
    assert moved.failures == {} and "replaced_version" not in moved.inputs
