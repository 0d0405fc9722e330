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
    graph, seen = _run(lambda: RouterArgs(spec, spec.routing, HASHES, PEM))
    (router,) = graph.of_type("model-endpoints:index:Router")
    kinds = sorted(child.type.rsplit(":", 1)[-1] for child in graph.children(router))
    assert kinds == [
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
    assert seen["url"] == "http://ep-router.ep.svc.cluster.local/score"


def test_secret_data_is_a_secret_and_config_map_holds_the_split() -> None:
    spec = endpoint(version("v1", traffic_percentile=20), version("v2", traffic_percentile=10))
    graph, _ = _run(lambda: RouterArgs(spec, routed(spec, {"v1": 90.0, "v2": 10.0}), HASHES))
    secret = graph.named("ep-router-secret")
    assert secret.secret_paths == ("stringData",)
    assert HASHES["primary"] in secret.inputs["stringData"]["apikeys.map"]
    config = graph.named("ep-router-config").inputs["data"]
    assert config["split.map"].splitlines()[1:] == ["0:8999 be_v1", "9000:9999 be_v2"]
    assert "apikeys.map" not in config


def test_auth_disabled_needs_no_secret() -> None:
    spec = endpoint(version("v1"), auth_enabled=False)
    graph, _ = _run(lambda: RouterArgs(spec, spec.routing))
    assert not graph.of_type("kubernetes:core/v1:Secret")
    volumes = graph.named("ep-router-deployment").inputs["spec"]["template"]["spec"]["volumes"]
    assert volumes[0]["projected"]["sources"] == [{"configMap": {"name": "ep-router"}}]


def test_preview_with_unknown_key_hashes_does_not_crash() -> None:
    spec = endpoint(version("v1"))

    def args() -> RouterArgs:
        unknown = pulumi.Output(set(), pulumi.Output.from_input(None).future(), pulumi.Output.from_input(False).future())
        return RouterArgs(spec, spec.routing, unknown)  # type: ignore[arg-type]

    graph, _ = _run(args, preview=True)
    config = graph.named("ep-router-config")
    assert config.inputs["data"] == COMPUTED  # shown as computed in the preview
    annotations = graph.named("ep-router-deployment").inputs["spec"]["template"]["metadata"]["annotations"]
    assert annotations["model-endpoints.io/config-sha256"] == COMPUTED


def test_missing_auth_material_is_an_error() -> None:
    spec = endpoint(version("v1"))
    with pytest.raises(ValueError, match="auth_enabled needs key_hashes"):
        RouterArgs(spec, spec.routing)
    token_spec = endpoint(version("v1"), auth_enabled=False, token_auth_enabled=True)
    with pytest.raises(ValueError, match="token_auth_enabled needs token_public_key_pem"):
        RouterArgs(token_spec, token_spec.routing)


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
