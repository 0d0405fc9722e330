"""The stack program with the example stacks, under Pulumi's mocks (also as a preview)."""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pytest

from offline.program import run_stack
from offline.recording import COMPUTED
from specification.stack_config import ENDPOINTS_KEY as ENDPOINTS
from specification.stack_config import NODE_POOLS_KEY as NODE_POOLS
from tests.example_stacks import cloud_variants, with_cloud_variant
from tests.kubernetes_schema import validate_manifest


@pytest.mark.parametrize("preview", [False, True])
def test_dev_stack_is_the_seed_rollout(dev_config: dict[str, Any], preview: bool) -> None:
    graph = run_stack(dev_config, preview=preview)
    (endpoint,) = graph.of_type("model-endpoints:index:Endpoint")
    assert endpoint.name == "mynewendpoint"
    versions = {v.name for v in graph.of_type("model-endpoints:index:Version")}
    assert versions == {"mynewendpoint-versiona", "mynewendpoint-versionb"}
    namespace = graph.named("mynewendpoint-namespace").manifest
    assert namespace["metadata"]["name"] == "endpointnamespace"
    for resource in graph.kubernetes():
        validate_manifest(resource.manifest)
        assert resource.parent, f"{resource.name} has no parent"
    code = graph.named("mynewendpoint-versiona-code").inputs["data"]
    assert "def run(" in code["score.py"]


def test_dev_stack_exports_effective_traffic(dev_config: dict[str, Any]) -> None:
    graph = run_stack(dev_config)
    assert graph.exports["effective_traffic"] == {"mynewendpoint": {"versiona": 90.0, "versionb": 10.0}}
    assert graph.exports["endpoints"]["mynewendpoint"]["namespace"] == "endpointnamespace"
    assert graph.exports["endpoints"]["mynewendpoint"]["default_version"] == "versiona"


def test_a_stack_exports_what_describe_compares_for_retained_values(dev_config: dict[str, Any]) -> None:
    plain = run_stack(dev_config).exports["endpoints"]["mynewendpoint"]
    assert plain["retained_properties"] == []
    config = copy.deepcopy(dev_config)
    endpoint = config[ENDPOINTS][0]
    endpoint["retain_all_variant_properties"] = True
    endpoint["exclude_retained_variant_properties"] = [{"variant_property_type": "DesiredWeight"}]
    endpoint["versions"][0].update(num_replicas=3, autoscale_enabled=None)
    graph = run_stack(config)
    exported = graph.exports["endpoints"]["mynewendpoint"]
    assert exported["retained_properties"] == ["DesiredInstanceCount"]
    assert exported["declared_replicas"] == {"versiona": 3}
    assert graph.named("mynewendpoint-versiona-deployment").ignore_changes == ("spec.replicas",)
    assert "retain_weights" not in graph.named("mynewendpoint-traffic").inputs


@pytest.mark.parametrize("preview", [False, True])
def test_a_rolling_update_policy_reaches_every_version_deployment(
    dev_config: dict[str, Any], preview: bool
) -> None:
    config = copy.deepcopy(dev_config)
    config[ENDPOINTS][0]["deployment_config"] = {
        "rolling_update_policy": {
            "maximum_batch_size": {"type": "CAPACITY_PERCENT", "value": 20},
            "wait_interval_in_seconds": 30,
            "maximum_execution_timeout_in_seconds": 900,
        }
    }
    graph = run_stack(config, preview=preview)
    for name in ("mynewendpoint-versiona-deployment", "mynewendpoint-versionb-deployment"):
        deployment = graph.named(name)
        validate_manifest(deployment.manifest)
        spec = deployment.manifest["spec"]
        assert spec["strategy"]["rollingUpdate"] == {"maxSurge": "20%", "maxUnavailable": 0}
        assert (spec["minReadySeconds"], spec["progressDeadlineSeconds"]) == (30, 900)
        assert deployment.custom_timeouts == {"create": "900s", "update": "900s"}
    # the router's own Deployment keeps its strategy and the provider's default wait
    router = graph.named("mynewendpoint-router-deployment")
    assert "minReadySeconds" not in router.manifest["spec"] and router.custom_timeouts == {}


def test_seed_step_three_versionb_default_at_40(dev_config: dict[str, Any]) -> None:
    from components.stack_program import load_stack_spec

    endpoints = copy.deepcopy(dev_config[ENDPOINTS])
    endpoints[0]["versions"][1].update(traffic_percentile=40, is_default=True)
    spec = load_stack_spec(endpoints, [])
    assert spec.endpoints[0].effective_traffic() == {"versiona": 20.0, "versionb": 80.0}


@pytest.mark.parametrize("preview", [False, True])
def test_gpu_stack_places_versions_on_gpu_and_fpga_pools(gpu_config: dict[str, Any], preview: bool) -> None:
    graph = run_stack(gpu_config, preview=preview)
    pools = {p.name: p for p in graph.of_type("model-endpoints:index:NodePool")}
    assert set(pools) == {"gpu-t4", "fpga-u250"}
    for name, pool in pools.items():
        (plugin,) = graph.children(pool)
        assert plugin.type == "kubernetes:apps/v1:DaemonSet"
        validate_manifest(plugin.manifest)
    gpu = graph.named("vision-resnet-gpu-deployment")
    fpga = graph.named("vision-resnet-fpga-deployment")
    gpu_pod = gpu.manifest["spec"]["template"]["spec"]
    fpga_pod = fpga.manifest["spec"]["template"]["spec"]
    assert gpu_pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert gpu_pod["nodeSelector"]["node.kubernetes.io/instance-type"] == "Standard_NC4as_T4_v3"
    fpga_limits = fpga_pod["containers"][0]["resources"]["limits"]
    assert [k for k in fpga_limits if k.startswith("xilinx.com/fpga-")] != []
    assert fpga_pod["nodeSelector"]["node.kubernetes.io/instance-type"] == "Standard_NP10s"
    assert fpga.manifest["spec"]["replicas"] == 2
    assert graph.named("gpu-t4-device-plugin").urn in gpu.dependencies
    assert graph.named("fpga-u250-device-plugin").urn in fpga.dependencies
    for resource in graph.kubernetes():
        validate_manifest(resource.manifest)


def _invalid(config: dict[str, Any], mutate: Any) -> str:
    broken = copy.deepcopy(config)
    mutate(broken)
    with pytest.raises(pulumi.RunError) as caught:
        run_stack(broken)
    return str(caught.value)


def test_the_gpu_stacks_versions_are_replaced_blue_green(gpu_config: dict[str, Any]) -> None:
    graph = run_stack(gpu_config)
    split, settle = graph.named("vision-traffic"), graph.named("vision-settle")
    for name in ("resnet-gpu", "resnet-fpga"):
        deployment = graph.named(f"vision-{name}-deployment")
        assert split.urn in deployment.dependencies and deployment.urn in settle.dependencies
        assert split.inputs["versions_serving"][name]["green_deployment"]["metadata"]["name"] == f"vision-{name}-green"
    assert "backend be_resnet-gpu_green" in graph.named("vision-router-config").inputs["data"]["haproxy.cfg"]


def test_invalid_config_fails_with_the_field_path_not_a_traceback(dev_config: dict[str, Any]) -> None:
    def too_much_traffic(config: dict[str, Any]) -> None:
        config[ENDPOINTS][0]["versions"][1]["traffic_percentile"] = 90

    message = _invalid(dev_config, too_much_traffic)
    assert message.startswith("invalid stack config:")
    assert "model-endpoints:endpoints[0]: versions: traffic_percentile values sum to 110" in message


def test_typo_in_a_field_name_is_reported(dev_config: dict[str, Any]) -> None:
    def typo(config: dict[str, Any]) -> None:
        config[ENDPOINTS][0]["versions"][0]["traffic_percent"] = 5

    message = _invalid(dev_config, typo)
    assert "model-endpoints:endpoints[0].versions[0].traffic_percent: Extra inputs are not permitted" in message


def test_capacity_error_gives_both_numbers(gpu_config: dict[str, Any]) -> None:
    def too_many(config: dict[str, Any]) -> None:
        config[ENDPOINTS][0]["versions"][0]["autoscale_max_replicas"] = 9

    message = _invalid(gpu_config, too_many)
    assert "endpoints[0].versions[0].autoscale_max_replicas: 9 replicas x 1 nvidia.com/gpu = 9 accelerators" in message
    assert "4 nodes x 1 = 4" in message


def test_missing_entry_script_fails_cleanly(dev_config: dict[str, Any]) -> None:
    def missing(config: dict[str, Any]) -> None:
        config[ENDPOINTS][0]["versions"][0]["inference_config"]["entry_script"] = "models/none/score.py"

    message = _invalid(dev_config, missing)
    assert "model-endpoints:endpoints[0].versions[0].inference_config.entry_script: cannot read" in message


@pytest.mark.parametrize(
    "uri, rule",
    [
        ("models/artifacts/fraud-classifier/1/model.safetensors", "is a local path, which only"),
        ("file:///srv/models/fraud/1", "is a local path, which only"),
        ("hf://org/model", "scheme hf:// is not supported"),
        ("pvc://demo-models", "pvc://<claim>/<path> needs the model's path inside the claim"),
        ("s3://bucket/model?X-Amz-Signature=abc", "must not hold credentials"),
    ],
)
def test_a_model_uri_a_cluster_cannot_fetch_fails_the_preview_naming_the_field(
    dev_config: dict[str, Any], uri: str, rule: str
) -> None:
    def cluster_uri(config: dict[str, Any]) -> None:
        config[ENDPOINTS][0]["versions"][1]["models"][0]["uri"] = uri

    message = _invalid(dev_config, cluster_uri)
    assert message.startswith("invalid stack config:")
    assert f"model-endpoints:endpoints[0].versions[1].models[0].uri: " in message
    assert rule in message


def test_the_dev_stack_mounts_its_models_from_the_claim(dev_config: dict[str, Any]) -> None:
    graph = run_stack(dev_config)
    deployment = graph.named("mynewendpoint-versionb-deployment").manifest
    pod = deployment["spec"]["template"]["spec"]
    model = pod["containers"][0]
    assert {"name": "AZUREML_MODEL_DIR", "value": "/var/azureml-app/azureml-models/fraud-classifier/2"} in model["env"]
    assert {
        "name": "model-claim-0",
        "persistentVolumeClaim": {"claimName": "demo-models", "readOnly": True},
    } in pod["volumes"]
    assert [c["name"] for c in pod["initContainers"]] == ["install"]  # a claim is not copied


def test_missing_endpoints_config_is_required() -> None:
    with pytest.raises(pulumi.ConfigMissingError):
        run_stack({})


def test_stack_exports_scoring_url_and_secret_keys(dev_config: dict[str, Any]) -> None:
    graph = run_stack(dev_config)
    endpoint = graph.exports["endpoints"]["mynewendpoint"]
    assert endpoint["scoring_url"] == "http://mynewendpoint-router.endpointnamespace.svc.cluster.local/score"
    assert endpoint["traffic_revision"] == 1
    keys = graph.exports["keys"]["mynewendpoint"]
    assert set(keys) == {"primary_key", "secondary_key"} and keys["primary_key"] != keys["secondary_key"]
    # token auth is on in dev too, so `get-token` works against it (locally and deployed)
    assert set(graph.exports["token_signing_keys"]) == {"mynewendpoint"}
    assert endpoint["token_audience"] == "mynewendpoint"


@pytest.mark.parametrize("preview", [False, True])
def test_keys_and_signing_keys_are_exported_as_secrets_and_nothing_else_is(
    dev_config: dict[str, Any], preview: bool
) -> None:
    """What the engine receives: the keys as secrets (encrypted in state, hidden in output), the
    rest plain and readable. Exporting them through `Output.unsecret` fails this test."""
    graph = run_stack(dev_config, preview=preview)
    assert graph.secret_exports == {"keys", "token_signing_keys"}


def test_gpu_stack_exports_what_get_token_needs(gpu_config: dict[str, Any]) -> None:
    from credentials.endpoint_outputs import token_settings

    graph = run_stack(gpu_config)
    settings = token_settings(graph.exports, "vision")
    assert settings.issuer == "model-endpoints" and settings.audience == "vision"
    assert settings.signing_key_pem.startswith("-----BEGIN PRIVATE KEY-----")


@pytest.mark.parametrize("stack", ["dev", "gpu"])
def test_every_namespaced_object_waits_for_its_namespace(stack: str) -> None:
    from tests.example_stacks import example_config

    graph = run_stack(example_config(stack))
    namespaces = {r.manifest["metadata"]["name"]: r.urn for r in graph.of_type("kubernetes:core/v1:Namespace")}

    def waits_for(resource: Any, urn: str) -> bool:  # directly or through what it waits for
        return urn in resource.dependencies or any(
            waits_for(graph.by_urn(dep), urn) for dep in resource.dependencies
        )

    checked = 0
    for resource in graph.kubernetes():
        namespace = resource.manifest["metadata"].get("namespace")
        if namespace in namespaces:
            assert waits_for(resource, namespaces[namespace]), resource.name
            checked += 1
    assert checked >= 10


# --- node pools created in the cloud ------------------------------------------------------------

CLOUD_POOL_TYPES = {
    "aks": "azure-native:containerservice:AgentPool",
    "eks": "aws:eks/nodeGroup:NodeGroup",
    "gke": "gcp:container/nodePool:NodePool",
}


def test_the_gpu_example_has_one_commented_cloud_variant_per_cloud() -> None:
    variants = cloud_variants("gpu")
    assert set(variants) == {"aks", "eks", "gke"}
    assert all(pool["cloud"] == cloud and pool["name"] == "gpu-t4" for cloud, pool in variants.items())


@pytest.mark.parametrize("cloud", ["aks", "eks", "gke"])
@pytest.mark.parametrize("preview", [False, True])
def test_gpu_example_with_each_cloud_variant(gpu_config: dict[str, Any], cloud: str, preview: bool) -> None:
    config = with_cloud_variant(gpu_config, cloud_variants("gpu")[cloud])
    graph = run_stack(config, preview=preview)
    (created,) = graph.of_type(CLOUD_POOL_TYPES[cloud])
    assert created.parent == graph.named("gpu-t4").urn
    gpu = graph.named("vision-resnet-gpu-deployment")
    assert created.urn in gpu.dependencies
    assert created.urn not in graph.named("vision-resnet-fpga-deployment").dependencies
    plugins = {r.name for r in graph.of_type("kubernetes:apps/v1:DaemonSet")}
    # GKE runs the GPU device plugin itself; AKS and EKS's AL2023 NVIDIA AMI install the driver only
    assert plugins == ({"fpga-u250-device-plugin"} if cloud == "gke" else {"gpu-t4-device-plugin", "fpga-u250-device-plugin"})
    exported = graph.exports["cloud_pools"]["gpu-t4"]
    assert exported["cloud"] == cloud
    assert exported["id"] == (COMPUTED if preview else created.name + "-id")
    for resource in graph.kubernetes():
        validate_manifest(resource.manifest)


def _three_cloud_stack(gpu_config: dict[str, Any]) -> dict[str, Any]:
    """The gpu example with a pool in each cloud (the three variants) and a version on each."""
    config = copy.deepcopy(gpu_config)
    pools = [{**pool, "name": f"gpu-{cloud}"} for cloud, pool in cloud_variants("gpu").items()]
    config[NODE_POOLS] = pools
    versions = config[ENDPOINTS][0]["versions"]
    template = versions[0]
    config[ENDPOINTS][0]["versions"] = [
        {**template, "name": f"resnet-{cloud}", "node_pool": f"gpu-{cloud}", "traffic_percentile": 30,
         "is_control_version_type": cloud == "aks"}
        for cloud in ("aks", "eks", "gke")
    ]
    return config


def test_a_preview_with_a_pool_in_each_cloud_leaves_their_ids_unknown_and_the_rest_known(
    gpu_config: dict[str, Any],
) -> None:
    graph = run_stack(_three_cloud_stack(gpu_config), preview=True)
    for cloud, type_ in CLOUD_POOL_TYPES.items():
        (created,) = graph.of_type(type_)
        assert COMPUTED not in str(created.inputs), created.inputs  # everything it is given is known
        assert graph.exports["cloud_pools"][f"gpu-{cloud}"] == {
            "cloud": cloud,
            "name": created.inputs.get("agentPoolName") or created.inputs.get("nodeGroupName") or created.inputs["name"],
            "id": COMPUTED,
        }
        assert created.urn in graph.named(f"vision-resnet-{cloud}-deployment").dependencies
    assert graph.exports["effective_traffic"] == {"vision": {"resnet-aks": 40.0, "resnet-eks": 30.0, "resnet-gke": 30.0}}
    for resource in graph.kubernetes():
        validate_manifest(resource.manifest)


def test_a_stack_without_cloud_pools_exports_none(gpu_config: dict[str, Any]) -> None:
    assert "cloud_pools" not in run_stack(gpu_config).exports


def test_a_catalog_sku_of_another_cloud_fails_the_preview_naming_the_field(gpu_config: dict[str, Any]) -> None:
    def eks_sku_on_aks(config: dict[str, Any]) -> None:
        config[NODE_POOLS][0] = {**cloud_variants("gpu")["aks"], "sku": "g4dn.xlarge"}

    message = _invalid(gpu_config, eks_sku_on_aks)
    assert message.startswith("invalid stack config:")
    assert (
        "model-endpoints:nodePools[0]: sku: g4dn.xlarge is a node type of EKS (AWS), but cloud is 'aks'; "
        "use a node type of AKS (Azure) (Standard_NC4as_T4_v3, " in message
    )


def test_the_capacity_check_of_a_created_pool_is_its_max_nodes(gpu_config: dict[str, Any]) -> None:
    def too_many(config: dict[str, Any]) -> None:
        config[NODE_POOLS][0] = cloud_variants("gpu")["gke"]
        config[ENDPOINTS][0]["versions"][0]["autoscale_max_replicas"] = 5

    message = _invalid(gpu_config, too_many)
    assert "endpoints[0].versions[0].autoscale_max_replicas: 5 replicas x 1 nvidia.com/gpu = 5 accelerators" in message
    assert "pool 'gpu-t4' has 4 nodes x 1 = 4" in message
