"""The TrafficSplit walking its planned steps inside `up`, driven through the SDK's provider server
as the engine drives it, against a fake API server whose router pods are scripted (agents that
report revisions, some late; metrics pages with 5xx counts)."""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest
from pulumi.output import Unknown
from pulumi.runtime.proto import provider_pb2

from rollout.shift_annotations import LAST_FAILURE_ANNOTATION, SHIFT_ANNOTATION
from router.split import render_split_map
from router_agent.routing_dir import routing_files
from specification.routing import RoutingTable
from tests.kube_adapter.cluster_objects import (
    ENDPOINT,
    NAMESPACE,
    router_pod,
    routing_config_map,
)
from tests.kube_adapter.fake_api_server import FakeApiServer, RecordedRequest
from tests.kube_adapter.scripted_routers import ScriptedAgent, ScriptedMetrics
from tests.provider.conftest import CLUSTER_TOKEN
from tests.provider.provider_server import ProviderClient, ProviderServer

SOME, NONE = provider_pb2.DiffResponse.DIFF_SOME, provider_pb2.DiffResponse.DIFF_NONE
CONFIG_MAP = f"{ENDPOINT}-router-routing"
CONFIG_MAP_PATH = f"/api/v1/namespaces/{NAMESPACE}/configmaps/{CONFIG_MAP}"
ROUTERS = ("fraud-router-a", "fraud-router-b")
WALK_TIMEOUT = 30.0  # a gRPC deadline well above the few seconds a walk here takes

LINEAR_25 = {
    "traffic_routing_configuration": {
        "type": "LINEAR",
        "linear_step_size": {"type": "CAPACITY_PERCENT", "value": 25},
        "wait_interval_in_seconds": 0,
    }
}


def canary(size: int, wait: int) -> dict[str, Any]:
    return {
        "traffic_routing_configuration": {
            "type": "CANARY",
            "canary_size": {"type": "CAPACITY_PERCENT", "value": size},
            "wait_interval_in_seconds": wait,
        }
    }


def five_xx_alarm(threshold: float) -> dict[str, Any]:
    return {"canary-5xx": {"metric": "5xx_ratio", "threshold": threshold, "window_seconds": 10}}


def split_inputs(shares: dict[str, Any], kubeconfig: Any, **extra: Any) -> dict[str, Any]:
    return {
        "shares": shares,
        "default_version": "versiona",
        "endpoint": ENDPOINT,
        "namespace": NAMESPACE,
        "kubeconfig": kubeconfig,
        **extra,
    }


def table(traffic: dict[str, float]) -> RoutingTable:
    return RoutingTable({name: round(percent * 100) for name, percent in traffic.items()}, "versiona")


def files(traffic: dict[str, float], revision: int) -> dict[str, str]:
    """The routing ConfigMap's data for a table: what the agents read."""
    return routing_files(render_split_map(table(traffic)), revision)


class Cluster:
    """The endpoint's routing ConfigMap (as the Router created it: 90/10, revision 1), its router
    pods, their agents and metrics pages, in the fake API server."""

    def __init__(
        self,
        api_server: FakeApiServer,
        *,
        delays: tuple[float, float] = (0.0, 0.0),
        per_scrape: dict[str, tuple[int, int]] | None = None,
        config_map: bool = True,
    ) -> None:
        self.api_server = api_server
        if config_map:
            api_server.put(routing_config_map(files({"versiona": 90, "versionb": 10}, 1)))
        self.agents: dict[str, ScriptedAgent] = {}
        self.metrics: dict[str, ScriptedMetrics] = {}
        for pod, delay in zip(ROUTERS, delays, strict=True):
            api_server.put(router_pod(pod))
            self.agents[pod] = ScriptedAgent(api_server, NAMESPACE, CONFIG_MAP, delay_seconds=delay)
            self.metrics[pod] = ScriptedMetrics(per_scrape or {"versionb": (100, 0)})
            api_server.pod_http[(NAMESPACE, pod, 8405, "/routing")] = self.agents[pod]
            api_server.pod_http[(NAMESPACE, pod, 8405, "/metrics")] = self.metrics[pod]

    def patches(self) -> list[RecordedRequest]:
        """The writes of the routing table (not of the shift record on the annotations)."""
        return [r for r in self.all_patches() if "data" in r.body]

    def all_patches(self) -> list[RecordedRequest]:
        return [r for r in self.api_server.requests if r.method == "PATCH" and r.path == CONFIG_MAP_PATH]

    def writes(self) -> list[dict[str, str]]:
        """The data of every write of the routing ConfigMap, in order."""
        return [request.body["data"] for request in self.patches()]

    def shift_records(self) -> list[dict[str, Any]]:
        """Every shift record written on the ConfigMap's annotations, in order."""
        written = [
            request.body["metadata"].get("annotations", {}).get(SHIFT_ANNOTATION)
            for request in self.all_patches()
        ]
        return [json.loads(text) for text in written if text]

    def annotations(self) -> dict[str, str]:
        stored: dict[str, str] = self.api_server.config_maps[(NAMESPACE, CONFIG_MAP)]["metadata"]["annotations"]
        return stored

    def scrapes(self) -> list[RecordedRequest]:
        return [r for r in self.api_server.requests if r.path.endswith("/proxy/metrics")]


def created(client: ProviderClient, inputs: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    checked = client.check({}, inputs)
    assert checked.failures == {}
    id_, outputs = client.create(checked.inputs)
    return id_, checked.inputs, outputs


def failed_update(client: ProviderClient, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> str:
    """The error an `Update` fails with (the engine shows the provider's traceback text)."""
    with pytest.raises(grpc.RpcError) as raised:
        client.update(id_, olds, news, timeout=WALK_TIMEOUT)
    assert raised.value.code() == grpc.StatusCode.UNKNOWN
    return str(raised.value.details())


def test_a_linear_change_writes_each_steps_table_in_order_and_succeeds(
    client: ProviderClient, api_server: FakeApiServer, kubeconfig_text: str
) -> None:
    id_, inputs, outputs = created(client, split_inputs({"versiona": 90, "versionb": 10}, kubeconfig_text))
    assert outputs["revision"] == 1 and outputs["planned_steps"] == []
    assert inputs["moved_percent"] == 0.0  # a create is no shift
    cluster = Cluster(api_server)
    news = client.check(
        inputs,
        split_inputs({"versiona": 50, "versionb": 50}, kubeconfig_text, blue_green_update_policy=LINEAR_25),
    ).inputs
    planned = [{"versiona": 90 - 10 * k, "versionb": 10 + 10 * k} for k in range(1, 5)]
    assert news["planned_steps"] == planned  # what the preview's diff shows
    assert client.diff(id_, outputs, news) == SOME

    updated = client.update(id_, outputs, news, timeout=WALK_TIMEOUT)

    assert cluster.writes() == [files(step, revision) for revision, step in enumerate(planned, start=2)]
    assert updated["revision"] == 5  # one revision per table written
    assert updated["planned_steps"] == planned
    assert updated["effective_traffic"] == {"versiona": 50.0, "versionb": 50.0}
    assert all(agent.reported.get(5) for agent in cluster.agents.values())
    assert cluster.scrapes() == []  # no alarm, no bake: nothing to read


def test_a_canary_whose_version_fails_is_rolled_back_and_the_update_fails_naming_the_alarm(
    client: ProviderClient, api_server: FakeApiServer, kubeconfig_text: str
) -> None:
    id_, inputs, outputs = created(client, split_inputs({"versiona": 90, "versionb": 10}, kubeconfig_text))
    cluster = Cluster(api_server, per_scrape={"versiona": (100, 0), "versionb": (100, 60)})
    news = client.check(
        inputs,
        split_inputs(
            {"versiona": 60, "versionb": 40},
            kubeconfig_text,
            blue_green_update_policy=canary(10, wait=2),
            alarms=five_xx_alarm(0.05),
        ),
    ).inputs
    assert news["planned_steps"] == [{"versiona": 87.0, "versionb": 13.0}, {"versiona": 60.0, "versionb": 40.0}]

    details = failed_update(client, id_, outputs, news)

    message = details.strip().splitlines()[-1]
    assert message.startswith("provider.split_walk.TrafficShiftError: traffic shift rolled back: ")
    assert "alarm 'canary-5xx' breached: 5xx_ratio of versionb = 0.6 > threshold 0.05" in message
    assert "at step 1 of 2; 10% of the change had moved (versiona 90% -> 87%, versionb 10% -> 13%)" in message
    assert "the starting table is live again on every router (revision 3)" in message
    assert "During handling" not in details and "direct cause" not in details  # one message
    # step 1's table, then the starting table again: what every router serves now
    assert cluster.writes() == [files({"versiona": 87, "versionb": 13}, 2), files({"versiona": 90, "versionb": 10}, 3)]
    assert all(agent.reported.get(3) for agent in cluster.agents.values())
    # the shift's record on the ConfigMap's annotations, for `describe`: its phases as it ran,
    # then the failure in place of the shift
    phases = [
        (record["progress"]["step"], record["progress"]["phase"])
        for record in cluster.shift_records()
    ]
    assert phases[:3] == [(0, "apply"), (1, "catch_up"), (1, "step")] and phases[-1] == (1, "rolling_back")
    annotations = cluster.annotations()
    assert SHIFT_ANNOTATION not in annotations
    failure = json.loads(annotations[LAST_FAILURE_ANNOTATION])
    assert failure["outcome"] == "rolled_back" and "alarm 'canary-5xx' breached" in failure["reason"]

    # The engine keeps the previous outputs (90/10), so the next `up` sees the change again and
    # walks it from the live table, on from the revision the rollback wrote.
    assert client.diff(id_, outputs, news) == SOME
    for scripted in cluster.metrics.values():
        scripted.per_scrape = {"versiona": (100, 0), "versionb": (100, 0)}
    retry = client.check(inputs, split_inputs({"versiona": 60, "versionb": 40}, kubeconfig_text)).inputs
    updated = client.update(id_, outputs, retry, timeout=WALK_TIMEOUT)
    assert updated["revision"] == 4 and updated["planned_steps"] == [{"versiona": 60.0, "versionb": 40.0}]
    assert cluster.writes()[-1] == files({"versiona": 60, "versionb": 40}, 4)  # no policy: one step
    assert LAST_FAILURE_ANNOTATION not in cluster.annotations()  # a completed shift clears it


def test_a_canary_whose_version_is_slow_is_rolled_back_by_the_agents_request_times(
    client: ProviderClient, api_server: FakeApiServer, kubeconfig_text: str
) -> None:
    id_, inputs, outputs = created(client, split_inputs({"versiona": 90, "versionb": 10}, kubeconfig_text))
    cluster = Cluster(api_server, per_scrape={"versiona": (100, 0), "versionb": (100, 0)})
    windows: list[dict[str, list[str]]] = []
    for pod, slow in zip(ROUTERS, (1, 3), strict=True):  # 4 slow requests in 200: 2% over 800 ms

        def latency(request: RecordedRequest, slow: int = slow) -> tuple[int, str]:
            windows.append(request.query)
            buckets = [[40, 100 - slow], [840, slow]]
            return 200, json.dumps({"window_seconds": 10, "versions": {"versionb": {"requests": 100, "buckets": buckets}}})

        api_server.pod_http[(NAMESPACE, pod, 8405, "/latency")] = latency
    alarm = {"canary-p99": {"metric": "p99_latency_ms", "threshold": 500, "window_seconds": 10}}
    news = client.check(
        inputs,
        split_inputs(
            {"versiona": 60, "versionb": 40},
            kubeconfig_text,
            blue_green_update_policy=canary(10, wait=2),
            alarms=alarm,
        ),
    ).inputs

    message = failed_update(client, id_, outputs, news).strip().splitlines()[-1]
    assert "alarm 'canary-p99' breached: p99_latency_ms of versionb = 840 > threshold 500" in message
    assert cluster.writes()[-1] == files({"versiona": 90, "versionb": 10}, 3)
    assert windows and all(query == {"window": ["10"]} for query in windows)


def test_a_router_lagging_behind_holds_the_bake(
    client: ProviderClient, api_server: FakeApiServer, kubeconfig_text: str
) -> None:
    id_, inputs, outputs = created(client, split_inputs({"versiona": 90, "versionb": 10}, kubeconfig_text))
    cluster = Cluster(api_server, delays=(0.0, 1.0))
    news = client.check(
        inputs,
        split_inputs(
            {"versiona": 50, "versionb": 50},
            kubeconfig_text,
            blue_green_update_policy=canary(50, wait=1),
            alarms=five_xx_alarm(0.5),
        ),
    ).inputs

    updated = client.update(id_, outputs, news, timeout=WALK_TIMEOUT)

    assert updated["revision"] == 3
    patches = cluster.patches()
    assert [patch.body["data"]["revision"] for patch in patches] == ["2\n", "3\n"]
    lagging = cluster.agents["fraud-router-b"]
    for index, patch in enumerate(patches):
        revision = index + 2
        caught_up = lagging.reported[revision]
        assert caught_up - patch.at >= 1.0  # router b reported the step a second late...
        bake_reads = [r.at for r in cluster.scrapes() if r.at > patch.at]
        assert bake_reads and min(bake_reads) >= caught_up  # ...and the bake waited for it
        if index + 1 < len(patches):
            assert patches[index + 1].at >= caught_up + 1.0  # the whole bake came after


def test_no_routing_config_map_means_no_write(
    client: ProviderClient, api_server: FakeApiServer, kubeconfig_text: str
) -> None:
    """The first `up` after upgrading, or a Router not created yet: the Router creates the
    ConfigMap from the split's new outputs."""
    id_, inputs, outputs = created(client, split_inputs({"versiona": 90, "versionb": 10}, kubeconfig_text))
    Cluster(api_server, config_map=False)
    news = client.check(inputs, split_inputs({"versiona": 60, "versionb": 40}, kubeconfig_text)).inputs
    updated = client.update(id_, outputs, news, timeout=WALK_TIMEOUT)
    assert updated["revision"] == 2 and updated["effective_traffic"] == {"versiona": 60.0, "versionb": 40.0}
    assert [(r.method, r.path) for r in api_server.requests] == [("GET", CONFIG_MAP_PATH)]


def test_create_writes_nothing_live(client: ProviderClient, api_server: FakeApiServer, kubeconfig_text: str) -> None:
    Cluster(api_server)
    api_server.requests.clear()
    _, _, outputs = created(client, split_inputs({"versiona": 90, "versionb": 10}, kubeconfig_text))
    assert outputs["revision"] == 1
    assert api_server.requests == []


def test_a_split_without_an_endpoint_moves_no_router(client: ProviderClient) -> None:
    """As before live routing: a split that names no endpoint only computes its table."""
    plain = {"shares": {"versiona": 90, "versionb": 10}, "default_version": "versiona"}
    id_, inputs, outputs = created(client, plain)
    news = client.check(inputs, {**plain, "shares": {"versiona": 60, "versionb": 40}}).inputs
    assert client.update(id_, outputs, news)["revision"] == 2


def test_a_preview_shows_the_planned_steps_when_known_and_computed_when_not(client: ProviderClient) -> None:
    id_, inputs, outputs = created(client, split_inputs({"versiona": 90, "versionb": 10}, "/no/cluster/here"))
    # credentials not known yet (an output of another resource): the plan is
    news = split_inputs({"versiona": 60, "versionb": 40}, Unknown(), blue_green_update_policy=canary(10, wait=60))
    checked = client.check(inputs, news)
    assert checked.failures == {}
    assert checked.inputs["planned_steps"] == [
        {"versiona": 87.0, "versionb": 13.0},
        {"versiona": 60.0, "versionb": 40.0},
    ]
    assert checked.inputs["moved_percent"] == 30.0  # what the policy pack's guarded-shift rule reads
    assert isinstance(checked.inputs["kubeconfig"], Unknown)
    assert client.diff(id_, outputs, checked.inputs) == SOME
    # a share not known yet: neither is the plan, and the diff is never "no change"
    news = split_inputs({"versiona": 60, "versionb": Unknown()}, "/no/cluster/here")
    checked = client.check(inputs, news)
    assert checked.failures == {} and isinstance(checked.inputs["planned_steps"], Unknown)
    assert isinstance(checked.inputs["moved_percent"], Unknown)
    assert client.diff(id_, outputs, checked.inputs) == SOME


def test_a_new_policy_alarms_or_credentials_alone_are_no_change(client: ProviderClient) -> None:
    id_, inputs, outputs = created(client, split_inputs({"versiona": 90, "versionb": 10}, "/a/kubeconfig"))
    news = client.check(
        inputs,
        split_inputs(
            {"versiona": 90, "versionb": 10},
            "/another/kubeconfig",
            kube_context="prod",
            blue_green_update_policy=canary(10, wait=60),
            alarms=five_xx_alarm(0.01),
        ),
    ).inputs
    assert news["planned_steps"] == []
    assert client.diff(id_, outputs, news) == NONE


def test_a_new_version_cannot_take_traffic_in_the_change_that_adds_it(client: ProviderClient) -> None:
    _, inputs, _ = created(client, split_inputs({"versiona": 90, "versionb": 10}, "/a/kubeconfig"))
    refused = client.check(inputs, split_inputs({"versiona": 80, "versionb": 10, "versionc": 10}, "/a/kubeconfig"))
    assert "version 'versionc' is new and would take 10% of the traffic at once" in refused.failures["shares"]
    joined = client.check(inputs, split_inputs({"versiona": 90, "versionb": 10, "versionc": 0}, "/a/kubeconfig"))
    assert joined.failures == {}


def _mentions_credentials(value: Any, kubeconfig_text: str) -> bool:
    text = json.dumps(value, default=str)
    return CLUSTER_TOKEN in text or kubeconfig_text.strip() in text or "kube_context" in text


def test_the_credentials_are_in_no_output_no_error_message_and_no_progress_line(
    client: ProviderClient, provider_server: ProviderServer, api_server: FakeApiServer, kubeconfig_text: str
) -> None:
    inputs = split_inputs({"versiona": 90, "versionb": 10}, kubeconfig_text, kube_context="test")
    id_, checked, outputs = created(client, inputs)
    assert checked["kubeconfig"] == kubeconfig_text  # an input (secret in state), to reach update
    assert "kubeconfig" not in outputs and not _mentions_credentials(outputs, kubeconfig_text)

    Cluster(api_server)
    news = client.check(checked, {**inputs, "shares": {"versiona": 60, "versionb": 40}}).inputs
    api_server.forbidden.add(("get", "configmaps", NAMESPACE))
    details = failed_update(client, id_, outputs, news)
    assert "cannot read the routing ConfigMap 'fraud-router-routing' in namespace 'fraud'" in details
    assert "forbidden" in details and not _mentions_credentials(details, kubeconfig_text)

    unknown_context = {**news, "kube_context": "elsewhere"}
    details = failed_update(client, id_, outputs, unknown_context)
    assert "cannot use kubeconfig the kubeconfig text (context elsewhere)" in details
    assert CLUSTER_TOKEN not in details and kubeconfig_text.strip() not in details

    api_server.forbidden.clear()
    updated = client.update(id_, outputs, news, timeout=WALK_TIMEOUT)
    assert updated["revision"] == 2 and not _mentions_credentials(updated, kubeconfig_text)
    # the progress lines the engine shows as the update's diagnostics
    progress = provider_server.stderr()
    assert "endpoint 'fraud': walking 1 step from revision 1" in progress
    assert "endpoint 'fraud': shift completed: revision 2 on every router" in progress
    assert CLUSTER_TOKEN not in progress and kubeconfig_text.strip() not in progress
