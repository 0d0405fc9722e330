"""The Router component under mocks: its objects, secrets and what a preview shows."""

from __future__ import annotations

import hashlib

import pulumi
import pytest

from components.router import Router, RouterArgs
from offline.program import run_under_mocks
from offline.recording import COMPUTED, Graph
from tests.kubernetes_schema import validate_manifest
from tests.specs import endpoint, routed, version

HASHES = {"primary": hashlib.sha256(b"p").hexdigest(), "secondary": hashlib.sha256(b"s").hexdigest()}
PEM = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"


def _run(args_factory, preview: bool = False) -> tuple[Graph, dict]:  # type: ignore[no-untyped-def]
    seen: dict = {}

    def program() -> pulumi.Output:
        router = Router("ep-router", args_factory())
        return router.scoring_url.apply(lambda url: seen.update(url=url))

    return run_under_mocks(program, preview=preview), seen


def test_router_objects_are_children_and_valid() -> None:
    spec = endpoint(version("v1", traffic_percentile=20), version("v2", traffic_percentile=10), token_auth_enabled=True)
    graph, seen = _run(lambda: RouterArgs(spec, spec.routing, 1, HASHES, PEM))
    (router,) = graph.of_type("model-endpoints:index:Router")
    kinds = sorted(child.type.rsplit(":", 1)[-1] for child in graph.children(router))
    assert kinds == [
        "ConfigMap",
        "ConfigMap",
        "ConfigMap",
        "Deployment",
        "HorizontalPodAutoscaler",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Secret",
        "Service",
    ]
    for resource in graph.kubernetes():
        validate_manifest(resource.manifest)
    deployment = graph.named("ep-router-deployment")
    assert graph.named("ep-router-config").urn in deployment.dependencies
    assert graph.named("ep-router-secret").urn in deployment.dependencies
    assert graph.named("ep-router-routing").urn in deployment.dependencies
    assert graph.named("ep-router-agent").urn in deployment.dependencies
    assert seen["url"] == "http://ep-router.ep.svc.cluster.local/score"


def test_secret_data_is_a_secret_and_the_routing_config_map_holds_the_split() -> None:
    spec = endpoint(version("v1", traffic_percentile=20), version("v2", traffic_percentile=10))
    graph, _ = _run(lambda: RouterArgs(spec, routed(spec, {"v1": 90.0, "v2": 10.0}), 3, HASHES))
    secret = graph.named("ep-router-secret")
    assert secret.secret_paths == ("stringData",)
    assert HASHES["primary"] in secret.inputs["stringData"]["apikeys.map"]
    config = graph.named("ep-router-config").inputs["data"]
    assert "apikeys.map" not in config and "split.map" not in config
    routing = graph.named("ep-router-routing").inputs["data"]
    assert routing["split.map"].splitlines()[1:] == ["0:8999 be_v1", "9000:9999 be_v2"]
    assert routing["revision"].strip() == "3"


def test_a_weight_change_keeps_the_pods_and_changes_only_the_routing_data() -> None:
    """One writer: the routing ConfigMap's data is Pulumi's only at creation (ignore_changes), and
    the pods' checksum does not cover it, so a weight change never restarts a router pod."""
    spec = endpoint(version("v1", traffic_percentile=20), version("v2", traffic_percentile=10))

    def annotation(graph: Graph) -> str:
        template = graph.named("ep-router-deployment").inputs["spec"]["template"]
        return str(template["metadata"]["annotations"]["model-endpoints.io/config-sha256"])

    before, _ = _run(lambda: RouterArgs(spec, routed(spec, {"v1": 90.0, "v2": 10.0}), 1, HASHES))
    after, _ = _run(lambda: RouterArgs(spec, routed(spec, {"v1": 40.0, "v2": 60.0}), 2, HASHES))
    assert annotation(before) == annotation(after)
    assert before.named("ep-router-config").inputs == after.named("ep-router-config").inputs
    assert before.named("ep-router-routing").inputs != after.named("ep-router-routing").inputs
    assert before.named("ep-router-routing").ignore_changes == ("data",)


def test_the_agent_sidecar_runs_the_mounted_agent_code_beside_haproxy() -> None:
    from components.router_config import agent_files

    spec = endpoint(version("v1"))
    graph, _ = _run(lambda: RouterArgs(spec, spec.routing, 1, HASHES))
    code = graph.named("ep-router-agent").inputs["data"]
    assert code == agent_files() and "__main__.py" in code and "agent.py" in code
    pod = graph.named("ep-router-deployment").inputs["spec"]["template"]["spec"]
    haproxy, agent = pod["containers"]
    assert agent["name"] == "routing-agent" and agent["image"] == "python:3.11-slim"
    assert agent["command"][:3] == ["python", "-m", "router_agent"]
    command = agent["command"]
    assert command[command.index("--map-path") + 1] == "/usr/local/etc/haproxy-routing/split.map"
    assert command[command.index("--admin-socket") + 1] == "/var/lib/haproxy/admin.sock"
    assert command[command.index("--listen") + 1] == "127.0.0.1:8406"
    # HAProxy's request log, in the run volume both containers mount: the agent's request times
    assert command[command.index("--request-log") + 1] == "/var/lib/haproxy/admin.requests.sock"
    assert {"name": "PYTHONPATH", "value": "/opt/model-endpoints"} in agent["env"]
    mounts = {m["name"]: m["mountPath"] for m in agent["volumeMounts"]}
    assert mounts == {
        "routing": "/usr/local/etc/haproxy-routing",
        "agent-code": "/opt/model-endpoints/router_agent",
        "run": "/var/lib/haproxy",  # the admin socket HAProxy shares with it
    }
    assert {m["name"] for m in haproxy["volumeMounts"]} >= {"routing", "run"}
    assert agent["securityContext"]["runAsUser"] == haproxy["securityContext"]["runAsUser"]
    cfg = graph.named("ep-router-config").inputs["data"]["haproxy.cfg"]
    assert "/usr/local/etc/haproxy-routing/split.map" in cfg  # the map the agent swaps
    assert "stats socket /var/lib/haproxy/admin.sock " in cfg  # the socket it swaps it through
    assert "server agent 127.0.0.1:8406" in cfg  # /routing on the metrics port reaches it
    assert "log /var/lib/haproxy/admin.requests.sock format raw local1 info" in cfg


def test_without_request_times_no_request_is_logged_to_the_agent() -> None:
    spec = endpoint(version("v1"), router={"request_times": False})
    graph, _ = _run(lambda: RouterArgs(spec, spec.routing, 1, HASHES))
    pod = graph.named("ep-router-deployment").inputs["spec"]["template"]["spec"]
    _, agent = pod["containers"]
    assert "--request-log" not in agent["command"]
    cfg = graph.named("ep-router-config").inputs["data"]["haproxy.cfg"]
    assert "requests.sock" not in cfg and "    no log" in cfg


def test_auth_disabled_needs_no_secret() -> None:
    spec = endpoint(version("v1"), auth_enabled=False)
    graph, _ = _run(lambda: RouterArgs(spec, spec.routing, 1))
    assert not graph.of_type("kubernetes:core/v1:Secret")
    volumes = graph.named("ep-router-deployment").inputs["spec"]["template"]["spec"]["volumes"]
    assert volumes[0]["projected"]["sources"] == [{"configMap": {"name": "ep-router"}}]


def test_preview_with_unknown_key_hashes_does_not_crash() -> None:
    spec = endpoint(version("v1"))

    def args() -> RouterArgs:
        unknown = pulumi.Output(set(), pulumi.Output.from_input(None).future(), pulumi.Output.from_input(False).future())
        return RouterArgs(spec, spec.routing, 1, unknown)  # type: ignore[arg-type]

    graph, _ = _run(args, preview=True)
    config = graph.named("ep-router-config")
    assert config.inputs["data"] == COMPUTED  # shown as computed in the preview
    annotations = graph.named("ep-router-deployment").inputs["spec"]["template"]["metadata"]["annotations"]
    assert annotations["model-endpoints.io/config-sha256"] == COMPUTED


def test_missing_auth_material_is_an_error() -> None:
    spec = endpoint(version("v1"))
    with pytest.raises(ValueError, match="auth_enabled needs key_hashes"):
        RouterArgs(spec, spec.routing, 1)
    token_spec = endpoint(version("v1"), auth_enabled=False, token_auth_enabled=True)
    with pytest.raises(ValueError, match="token_auth_enabled needs token_public_key_pem"):
        RouterArgs(token_spec, token_spec.routing, 1)


def test_load_balancer_address_from_typed_and_plain_status() -> None:
    from pulumi_kubernetes.core.v1 import outputs

    from components.router import _ingress_host

    typed = outputs.ServiceStatus(
        load_balancer=outputs.LoadBalancerStatus(ingress=[outputs.LoadBalancerIngress(ip="20.1.2.3")])
    )
    assert _ingress_host(typed) == "20.1.2.3"
    assert _ingress_host({"loadBalancer": {"ingress": [{"hostname": "lb.example.com"}]}}) == "lb.example.com"
    assert _ingress_host({}) is None
    assert _ingress_host(outputs.ServiceStatus()) is None
