"""A version's green twin: valid objects whose pods blue's selectors never see, which the router's
green backend and the endpoint's NetworkPolicy do, and a digest that moves with the definition."""

from __future__ import annotations

from typing import Any

from components.manifests.green import (
    GREEN_OF_LABEL,
    green_deployment,
    green_service,
    serving_digest,
)
from components.manifests.labels import VERSION_LABEL
from components.manifests.serving import disruption_budget, headless_service, network_policy
from components.manifests.workload import code_config_map, code_files, deployment
from components.router_config import green_replicas
from kube_adapter.names import green_object_name
from specification.version import InferenceConfig
from tests.kubernetes_schema import validate_manifest
from tests.specs import endpoint, version

SCRIPT = "def init():\n    pass\n\ndef run(raw):\n    return raw\n"


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def _pair(**fields: Any) -> tuple[Any, Any, dict[str, Any], dict[str, Any]]:
    v = version("vb", num_replicas=3, **fields)
    ep = endpoint(version("va"), v, namespace="scoring")
    blue = deployment(ep, v, None)
    return ep, v, blue, green_deployment(ep, v, blue, 3)


def test_green_objects_are_valid_and_named_apart_from_blue() -> None:
    ep, v, blue, green = _pair()
    service = green_service(ep, v)
    validate_manifest(green)
    validate_manifest(service)
    assert green["metadata"]["name"] == service["metadata"]["name"] == "ep-vb-green"
    assert green["metadata"]["name"] == green_object_name("ep", "vb") != blue["metadata"]["name"]
    assert green["metadata"]["namespace"] == service["metadata"]["namespace"] == "scoring"
    assert green["spec"]["replicas"] == 3


def test_green_runs_blues_pod_spec_with_only_the_version_label_swapped() -> None:
    _, _, blue, green = _pair()
    assert green["spec"]["template"]["spec"] == blue["spec"]["template"]["spec"]
    blue_labels = blue["spec"]["template"]["metadata"]["labels"]
    green_labels = green["spec"]["template"]["metadata"]["labels"]
    assert VERSION_LABEL not in green_labels and green_labels[GREEN_OF_LABEL] == "vb"
    assert {k: v for k, v in green_labels.items() if k != GREEN_OF_LABEL} == {
        k: v for k, v in blue_labels.items() if k != VERSION_LABEL
    }
    assert _selects(green["spec"]["selector"]["matchLabels"], green_labels)


def test_blues_selectors_never_see_green_pods_and_greens_never_see_blue() -> None:
    ep, v, blue, green = _pair()
    green_pod = green["spec"]["template"]["metadata"]["labels"]
    blue_pod = blue["spec"]["template"]["metadata"]["labels"]
    blue_selectors = [
        blue["spec"]["selector"]["matchLabels"],
        headless_service(ep, v)["spec"]["selector"],
        disruption_budget(ep, v)["spec"]["selector"]["matchLabels"],
    ]
    assert not any(_selects(selector, green_pod) for selector in blue_selectors)
    for selector in (green["spec"]["selector"]["matchLabels"], green_service(ep, v)["spec"]["selector"]):
        assert _selects(selector, green_pod) and not _selects(selector, blue_pod)


def test_the_network_policy_admits_the_router_to_green_pods() -> None:
    ep, _, _, green = _pair()
    selector = network_policy(ep)["spec"]["podSelector"]["matchLabels"]
    assert _selects(selector, green["spec"]["template"]["metadata"]["labels"])


def test_the_routers_green_backend_resolves_the_green_service_only_under_a_policy() -> None:
    policy = {"blue_green_update_policy": {"traffic_routing_configuration": {"type": "ALL_AT_ONCE", "wait_interval_in_seconds": 0}}}
    ep = endpoint(version("va"), version("vb", num_replicas=2), namespace="scoring", deployment_config=policy)
    assert {name: r.service for name, r in green_replicas(ep).items()} == {
        "va": "ep-va-green.scoring.svc.cluster.local",
        "vb": "ep-vb-green.scoring.svc.cluster.local",
    }
    assert green_replicas(endpoint(version("va"))) == {}


def test_green_drops_the_rolling_fields_it_has_no_use_for() -> None:
    rolling = {
        "rolling_update_policy": {
            "maximum_batch_size": {"type": "CAPACITY_PERCENT", "value": 25},
            "wait_interval_in_seconds": 30,
        }
    }
    v = version("vb", num_replicas=4)
    ep = endpoint(v, deployment_config=rolling)
    blue = deployment(ep, v, None)
    assert "strategy" in blue["spec"] and "minReadySeconds" in blue["spec"]
    green = green_deployment(ep, v, blue, 4)
    assert not {"strategy", "minReadySeconds", "progressDeadlineSeconds"} & set(green["spec"])
    validate_manifest(green)


def test_the_serving_digest_moves_with_the_definition_not_with_the_replica_count() -> None:
    def digest(**fields: Any) -> str:
        v = version("vb", **fields)
        return serving_digest(deployment(endpoint(v), v, None))

    base = digest(num_replicas=2)
    assert digest(num_replicas=5) == base
    assert digest(num_replicas=2, image="registry.example.com/model:2") != base
    assert digest(num_replicas=2, env={"THREADS": "4"}) != base


def test_new_code_is_a_new_code_config_map_and_a_new_digest() -> None:
    config = InferenceConfig(entry_script="score.py", base_image="python:3.11-slim")
    v = version("vb", image=None, inference_config=config, num_replicas=2)
    ep = endpoint(v)
    names, digests = set(), set()
    for script in (SCRIPT, SCRIPT + "# tuned\n"):
        code = code_files(v, script)
        config_map = code_config_map(ep, v, script)
        manifest = deployment(ep, v, None, code)
        volumes = {vol["name"]: vol for vol in manifest["spec"]["template"]["spec"]["volumes"]}
        assert volumes["code"]["configMap"]["name"] == config_map["metadata"]["name"]
        assert config_map["metadata"]["name"].startswith("ep-vb-code-")
        validate_manifest(config_map)
        names.add(config_map["metadata"]["name"])
        digests.add(serving_digest(manifest))
    assert len(names) == 2 and len(digests) == 2
