"""ClusterRouters against the fake API server: what a table write sends, which pods count as live
routers, what their agents report, how a refusal or an RBAC gap shows."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from kube_adapter import ClusterAdapter, ClusterCredentials, ConfigMapData, ForbiddenError
from provider.cluster_routers import ClusterRouters, RoutersNotApplying, config_map_revision
from router.split import render_split_map
from specification.routing import RoutingTable
from tests.kube_adapter.cluster_objects import ENDPOINT, NAMESPACE, router_pod, routing_config_map
from tests.kube_adapter.fake_api_server import FakeApiServer, RecordedRequest
from tests.kube_adapter.scripted_routers import ScriptedAgent, ScriptedMetrics

CONFIG_MAP = f"{ENDPOINT}-router-routing"
TABLE = RoutingTable({"versiona": 9000, "versionb": 1000}, "versiona")
NEXT = RoutingTable({"versiona": 6000, "versionb": 4000}, "versiona")


@pytest.fixture
def routers(api_server: FakeApiServer, kubeconfig_text: str) -> ClusterRouters:
    adapter = ClusterAdapter(ClusterCredentials(kubeconfig=kubeconfig_text), timeout_seconds=5)
    return ClusterRouters(adapter, NAMESPACE, ENDPOINT)


def seed(api_server: FakeApiServer, *pods: dict) -> None:  # type: ignore[type-arg]
    api_server.put(routing_config_map({"split.map": render_split_map(TABLE), "revision": "1"}))
    for pod in pods:
        api_server.put(pod)


def agent(api_server: FakeApiServer, pod: str, **kwargs: object) -> ScriptedAgent:
    scripted = ScriptedAgent(api_server, NAMESPACE, CONFIG_MAP, **kwargs)  # type: ignore[arg-type]
    api_server.pod_http[(NAMESPACE, pod, 8405, "/routing")] = scripted
    return scripted


def test_a_missing_config_map_reads_as_none(routers: ClusterRouters) -> None:
    assert routers.read_routing() is None


def test_a_table_is_written_as_the_routing_directorys_files_over_what_was_read(
    api_server: FakeApiServer, routers: ClusterRouters
) -> None:
    seed(api_server)
    live = routers.read_routing()
    assert live is not None and config_map_revision(live) == 1
    routers.apply(NEXT, 2)
    stored = api_server.config_maps[(NAMESPACE, CONFIG_MAP)]
    assert stored["data"] == {"split.map": render_split_map(NEXT), "revision": "2\n"}
    patch = api_server.requests[-1]
    assert patch.method == "PATCH"
    # the resourceVersion of the read just before it: a concurrent writer makes the write fail
    assert api_server.requests[-2].method == "GET"
    assert patch.body["metadata"]["resourceVersion"] == live.resource_version
    assert routers.written == 2


def test_only_running_ready_pods_not_being_deleted_are_live_routers(
    api_server: FakeApiServer, routers: ClusterRouters
) -> None:
    seed(
        api_server,
        router_pod("fraud-router-a"),
        router_pod("fraud-router-b", ready=False),
        router_pod("fraud-router-c", deleting=True),
        router_pod("fraud-router-d", phase="Pending", ready=False),
        router_pod("fraud-router-e"),
    )
    assert routers.live_pods() == ["fraud-router-a", "fraud-router-e"]


def test_each_live_router_reports_what_its_agent_applied(
    api_server: FakeApiServer, routers: ClusterRouters
) -> None:
    seed(api_server, router_pod("fraud-router-a"), router_pod("fraud-router-b"), router_pod("fraud-router-c"))
    agent(api_server, "fraud-router-a")
    agent(api_server, "fraud-router-b", delay_seconds=60)
    # fraud-router-c's agent does not answer: the pod proxy says connection refused
    assert routers.applied_revisions() == [1, 1, None]
    routers.apply(NEXT, 2)
    assert routers.applied_revisions() == [2, 1, None]


def test_an_agent_reporting_an_error_instead_of_the_table_written_is_named(
    api_server: FakeApiServer, routers: ClusterRouters
) -> None:
    seed(api_server, router_pod("fraud-router-a"), router_pod("fraud-router-b"))
    agent(api_server, "fraud-router-a")
    agent(api_server, "fraud-router-b", refuse="this router has no backend be_versionc")
    routers.apply(NEXT, 2)
    with pytest.raises(RoutersNotApplying, match="router pod 'fraud-router-b' reports: this router has no backend"):
        routers.applied_revisions()


def test_a_refused_pod_proxy_raises_with_the_rbac_rule_to_grant(
    api_server: FakeApiServer, routers: ClusterRouters
) -> None:
    seed(api_server, router_pod("fraud-router-a"))
    api_server.forbidden.add(("get", "pods/proxy", NAMESPACE))
    with pytest.raises(ForbiddenError, match="verb 'get' on 'pods/proxy'"):
        routers.applied_revisions()


def test_metrics_are_scraped_from_every_live_router_with_the_backend_scope(
    api_server: FakeApiServer, routers: ClusterRouters
) -> None:
    seed(api_server, router_pod("fraud-router-a"), router_pod("fraud-router-b"))
    metrics = {pod: ScriptedMetrics({"versionb": (10, 1)}) for pod in ("fraud-router-a", "fraud-router-b")}
    for pod, scripted in metrics.items():
        api_server.pod_http[(NAMESPACE, pod, 8405, "/metrics")] = scripted
    texts = routers.scrape_metrics()
    assert sorted(texts) == ["fraud-router-a", "fraud-router-b"]
    assert 'haproxy_backend_http_responses_total{proxy="be_versionb",code="5xx"} 1' in texts["fraud-router-a"]
    assert all(scripted.queries == [{"scope": ["backend"]}] for scripted in metrics.values())


def test_request_times_are_read_from_every_live_routers_agent_for_the_window(
    api_server: FakeApiServer, routers: ClusterRouters
) -> None:
    seed(api_server, *(router_pod(f"fraud-router-{x}") for x in "abc"))
    asked: list[dict[str, list[str]]] = []

    def answer(pod: str) -> Callable[[RecordedRequest], tuple[int, str]]:
        def serve(request: RecordedRequest) -> tuple[int, str]:
            asked.append(request.query)
            return 200, json.dumps({"window_seconds": 30, "versions": {"versionb": {
                "requests": 1, "buckets": [[120 if pod.endswith("a") else 900, 1]]}}})
        return serve

    for pod in ("fraud-router-a", "fraud-router-b"):
        api_server.pod_http[(NAMESPACE, pod, 8405, "/latency")] = answer(pod)
    # a router from before request times: its metrics port answers 404, and it is left out
    api_server.pod_http[(NAMESPACE, "fraud-router-c", 8405, "/latency")] = (404, "not found")
    answers = routers.read_latency(30)
    assert sorted(answers) == ["fraud-router-a", "fraud-router-b"]
    assert json.loads(answers["fraud-router-b"])["versions"]["versionb"]["buckets"] == [[900, 1]]
    assert asked == [{"window": ["30"]}] * 2


@pytest.mark.parametrize(("text", "revision"), [("7\n", 7), ("7", 7), ("", None), ("x", None), ("²", None)])
def test_the_config_maps_revision_is_read_when_it_parses(text: str, revision: int | None) -> None:
    assert config_map_revision(ConfigMapData(NAMESPACE, CONFIG_MAP, {"revision": text}, "1")) == revision
