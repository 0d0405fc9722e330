"""The Endpoint component under Pulumi's mocks: its resource graph and outputs."""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path

import pulumi
import pytest

from components import Endpoint, EndpointArgs, InferenceConfig, NodePool, NodePoolArgs
from offline.program import run_under_mocks
from offline.recording import COMPUTED, Graph
from tests.kubernetes_schema import validate_manifest
from tests.specs import cloud_pool, endpoint, pool, version

TYPE = "model-endpoints:index:Endpoint"


def _build(spec, **kwargs) -> tuple[Graph, dict]:  # type: ignore[no-untyped-def]
    outputs: dict = {}

    def program() -> pulumi.Output:
        pools = kwargs.pop("pools", [])
        nodes = [NodePool(p.name, NodePoolArgs(p)) for p in pools]
        ep = Endpoint(spec.name, EndpointArgs(spec, node_pools=nodes, **kwargs))
        return pulumi.Output.all(
            traffic=ep.effective_traffic, default=ep.default_version, hosts=ep.version_hosts, ns=ep.namespace
        ).apply(outputs.update)

    return run_under_mocks(program, preview=kwargs.pop("preview", False)), outputs


def test_graph_parents_every_child_to_its_component() -> None:
    graph, _ = _build(endpoint(version("v1", traffic_percentile=20), version("v2", traffic_percentile=10)))
    (ep,) = graph.of_type(TYPE)
    versions = graph.of_type("model-endpoints:index:Version")
    assert {v.name for v in versions} == {"ep-v1", "ep-v2"}
    assert all(v.parent == ep.urn for v in versions)
    namespace = graph.named("ep-namespace")
    assert namespace.parent == ep.urn
    assert graph.named("ep-network-policy").parent == ep.urn
    for v in versions:
        kinds = sorted(child.type.rsplit(":", 1)[-1] for child in graph.children(v))
        assert kinds == ["Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service"]
        for child in graph.children(v):
            assert child.name.startswith(f"{v.name}-")


def test_objects_wait_for_the_namespace_and_autoscaler_for_its_deployment() -> None:
    graph, _ = _build(endpoint(version("v1")))
    namespace = graph.named("ep-namespace")
    for name in ("ep-v1-deployment", "ep-v1-service", "ep-v1-pdb", "ep-network-policy"):
        assert namespace.urn in graph.named(name).dependencies, name
    assert graph.named("ep-v1-deployment").urn in graph.named("ep-v1-autoscaler").dependencies


def test_existing_namespace_is_not_created() -> None:
    graph, _ = _build(endpoint(version("v1"), namespace="shared", create_namespace=False))
    assert not graph.of_type("kubernetes:core/v1:Namespace")
    assert graph.named("ep-v1-deployment").manifest["metadata"]["namespace"] == "shared"


@pytest.mark.parametrize("preview", [False, True])
def test_outputs_are_the_effective_traffic_and_version_hosts(preview: bool) -> None:
    spec = endpoint(version("versiona", traffic_percentile=20), version("versionb", traffic_percentile=10))
    graph, outputs = _build(spec, preview=preview)
    assert outputs["traffic"] == {"versiona": 90.0, "versionb": 10.0}
    assert outputs["default"] == "versiona"
    assert outputs["ns"] == "ep"
    assert outputs["hosts"] == {
        "versiona": "ep-versiona.ep.svc.cluster.local",
        "versionb": "ep-versionb.ep.svc.cluster.local",
    }
    for resource in graph.kubernetes():
        validate_manifest(resource.manifest)


def test_fixed_replicas_and_keda_never_both_autoscalers() -> None:
    spec = endpoint(
        version("fixed", num_replicas=2),
        version("scaled"),
        autoscaler="keda",
        prometheus_url="http://prom:9090",
    )
    graph, _ = _build(spec)
    hpas = {r.name for r in graph.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")}
    assert hpas == {"ep-router-autoscaler"}  # the router's own; no version has an HPA
    (scaled,) = graph.of_type("kubernetes:keda.sh/v1alpha1:ScaledObject")
    assert scaled.name == "ep-scaled-autoscaler"
    assert scaled.inputs["kind"] == "ScaledObject"
    validate_manifest(scaled.manifest)
    assert graph.named("ep-fixed-deployment").manifest["spec"]["replicas"] == 2
    assert "replicas" not in graph.named("ep-scaled-deployment").manifest["spec"]


def test_versions_on_a_pool_wait_for_its_device_plugin() -> None:
    gpu = pool("gpu", "Standard_NC6s_v3", max_nodes=2)
    graph, _ = _build(endpoint(version("v1", node_pool="gpu", gpu_cores=1, autoscale_max_replicas=2)), pools=[gpu])
    plugin = graph.named("gpu-device-plugin")
    assert plugin.urn in graph.named("ep-v1-deployment").dependencies
    manifest = graph.named("ep-v1-deployment").manifest
    assert manifest["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"] == {"nvidia.com/gpu": "1"}


@pytest.mark.parametrize(
    ("cloud", "sku", "pool_type"),
    [
        ("aks", "Standard_NC6s_v3", "azure-native:containerservice:AgentPool"),
        ("eks", "g5.xlarge", "aws:eks/nodeGroup:NodeGroup"),
        ("gke", "a2-highgpu-1g", "gcp:container/nodePool:NodePool"),
    ],
)
@pytest.mark.parametrize("preview", [False, True])
def test_versions_on_a_created_pool_wait_for_the_clouds_pool(cloud: str, sku: str, pool_type: str, preview: bool) -> None:
    gpu = cloud_pool(cloud, "gpu", sku, max_nodes=2)
    cpu = pool("cpu", {"name": "Standard_D4s_v3"})
    spec = endpoint(
        version("v1", node_pool="gpu", gpu_cores=1, autoscale_max_replicas=2),
        version("v2", node_pool="cpu", traffic_percentile=10),
        version("v3", traffic_percentile=10),
    )
    graph, _ = _build(spec, pools=[gpu, cpu], preview=preview)
    (cloud_resource,) = graph.of_type(pool_type)
    on_pool = [r for r in graph.resources if r.name.startswith("ep-v1-") and r.custom]
    assert {r.name for r in on_pool} >= {"ep-v1-deployment", "ep-v1-service", "ep-v1-pdb"}
    for resource in on_pool:
        assert cloud_resource.urn in resource.dependencies, resource.name
    elsewhere = [r for r in graph.resources if r.custom and r.name.startswith(("ep-v2-", "ep-v3-", "ep-router"))]
    assert elsewhere and all(cloud_resource.urn not in r.dependencies for r in elsewhere)
    deployment = graph.named("ep-v1-deployment").manifest
    pod = deployment["spec"]["template"]["spec"]
    # what the cloud's nodes carry: the instance type the cloud labels them with, the pool's taint
    assert pod["nodeSelector"] == {"node.kubernetes.io/instance-type": sku}
    assert {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"} in pod["tolerations"]
    validate_manifest(deployment)


def test_placement_errors_stop_before_any_resource() -> None:
    gpu = pool("gpu", "Standard_NC6s_v3", max_nodes=2)
    spec = endpoint(version("v1", node_pool="gpu", gpu_cores=1, autoscale_max_replicas=3))
    with pytest.raises(ValueError, match=r"versions\[0\]\.autoscale_max_replicas: 3 replicas"):
        Endpoint("ep", EndpointArgs(spec, node_pools=[gpu]))


def test_inference_config_code_is_read_from_source_dir(tmp_path: Path) -> None:
    (tmp_path / "score.py").write_text("def init(): pass\ndef run(d): return d\n")
    spec = endpoint(version("v1", image=None, inference_config=InferenceConfig(entry_script="score.py")))
    graph, _ = _build(spec, source_dir=tmp_path)
    code = graph.named("ep-v1-code")
    assert code.inputs["data"]["score.py"] == "def init(): pass\ndef run(d): return d\n"
    assert code.urn in graph.named("ep-v1-deployment").dependencies


def test_missing_entry_script_is_a_clear_error(tmp_path: Path) -> None:
    spec = endpoint(version("v1", image=None, inference_config=InferenceConfig(entry_script="nope.py")))
    with pytest.raises(ValueError, match=r"versions\[0\]\.inference_config\.entry_script: cannot read .*nope\.py"):
        Endpoint("ep", EndpointArgs(spec, source_dir=tmp_path))


def test_an_entry_script_linked_out_of_the_source_dir_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.py"
    secret.write_text("PASSWORD = 'hunter2'\n")
    source_dir = tmp_path / "stack"
    source_dir.mkdir()
    (source_dir / "score.py").symlink_to(secret)
    spec = endpoint(version("v1", image=None, inference_config=InferenceConfig(entry_script="score.py")))
    with pytest.raises(ValueError) as raised:
        Endpoint("ep", EndpointArgs(spec, source_dir=source_dir))
    assert str(raised.value) == (
        f"versions[0].inference_config.entry_script: 'score.py' resolves to {secret.resolve()}, "
        f"outside the stack's directory {source_dir.resolve()} (through a symbolic link): the file "
        "must be inside that directory"
    )


def _endpoint_outputs(spec, preview: bool = False):  # type: ignore[no-untyped-def]
    seen: dict = {}

    def program() -> pulumi.Output:
        ep = Endpoint(spec.name, spec)
        checks = {
            "keys": ep.keys,
            "keys_secret": pulumi.Output.from_input(ep.keys.is_secret()) if ep.keys is not None else None,
            "signing_key": ep.token_signing_key,
            "signing_secret": (
                pulumi.Output.from_input(ep.token_signing_key.is_secret()) if ep.token_signing_key is not None else None
            ),
            "url": ep.scoring_url,
            "revision": ep.traffic_revision,
        }
        return pulumi.Output.all(**{k: v for k, v in checks.items() if v is not None}).apply(seen.update)

    return run_under_mocks(program, preview=preview), seen


def test_router_is_rendered_from_the_state_resources() -> None:
    spec = endpoint(version("v1", traffic_percentile=20), version("v2", traffic_percentile=10))
    graph, seen = _endpoint_outputs(spec)
    (ep,) = graph.of_type(TYPE)
    dynamic = {r.name: r for r in graph.resources if r.type.startswith("pulumi-python:dynamic")}
    assert set(dynamic) == {"ep-record", "ep-traffic", "ep-keys"}
    assert all(r.parent == ep.urn for r in dynamic.values())
    assert graph.named("ep-router").parent == ep.urn
    split = graph.named("ep-router-routing").inputs["data"]["split.map"].splitlines()[1:]
    assert split == ["0:8999 be_v1", "9000:9999 be_v2"]
    keys = seen["keys"]
    assert seen["keys_secret"] is True
    apikeys_map = graph.named("ep-router-secret").inputs["stringData"]["apikeys.map"]
    for key in (keys["primary_key"], keys["secondary_key"]):
        assert hashlib.sha256(key.encode()).hexdigest() in apikeys_map
        for resource in graph.kubernetes():  # no key in clear anywhere in the cluster's objects
            assert key not in json.dumps(resource.inputs)
    assert seen["url"] == "http://ep-router.ep.svc.cluster.local/score"
    assert seen["revision"] == 1


def test_token_auth_adds_a_signer_whose_tokens_the_router_verifies() -> None:
    import jwt

    from credentials.tokens import get_token

    spec = endpoint(version("v1"), token_auth_enabled=True)
    graph, seen = _endpoint_outputs(spec)
    assert graph.named("ep-token-signer").type == "pulumi-python:dynamic/model-endpoints:TokenSigner"
    assert seen["signing_secret"] is True
    router_secret = graph.named("ep-router-secret").inputs["stringData"]
    public_pem = router_secret["jwt-public.pem"]
    assert "PRIVATE" not in json.dumps(router_secret)
    token, refresh_by = get_token(
        seen["signing_key"], issuer="model-endpoints", audience="ep", lifetime=datetime.timedelta(hours=1)
    )
    claims = jwt.decode(token, public_pem, algorithms=["ES256"], audience="ep", issuer="model-endpoints")
    assert claims["exp"] > refresh_by.timestamp()
    cfg = graph.named("ep-router-config").inputs["data"]["haproxy.cfg"]
    assert "jwt_payload_query('$.aud') -m str ep" in cfg
    assert "jwt_payload_query('$.iss') -m str model-endpoints" in cfg


def test_preview_of_a_new_endpoint_leaves_router_config_computed() -> None:
    spec = endpoint(version("v1"))
    graph, seen = _endpoint_outputs(spec, preview=True)
    assert seen == {}  # keys and revision are unknown until the providers create them
    assert graph.named("ep-router-config").inputs["data"] == COMPUTED
    assert graph.named("ep-traffic").inputs["shares"] == {"v1": 0.0}


def test_a_bare_spec_reads_like_args_without_pools() -> None:
    """`Endpoint(name, spec)` where that reads better in a program: the same graph."""
    spec = endpoint(version("v1", traffic_percentile=20), version("v2", traffic_percentile=10))
    with_args = run_under_mocks(lambda: Endpoint("ep", EndpointArgs(spec)))
    bare = run_under_mocks(lambda: Endpoint("ep", spec))
    assert sorted(r.urn for r in bare.resources) == sorted(r.urn for r in with_args.resources)


def test_dependencies_in_opts_reach_every_object_of_the_endpoint() -> None:
    """Pulumi's convention: ordering through `opts`; a component hands it to its children."""
    from components.kubernetes_objects import create_object
    from components.manifests.serving import namespace

    spec = endpoint(version("v1"), create_namespace=False, name="ep2", namespace="shared")

    def program() -> None:
        shared = create_object("shared", namespace(endpoint(version("v1"), name="shared")), pulumi.ResourceOptions())
        Endpoint("ep2", spec, pulumi.ResourceOptions(depends_on=[shared]))

    graph = run_under_mocks(program)
    shared_urn = graph.named("shared").urn
    kubernetes = [r for r in graph.kubernetes() if r.name != "shared"]
    assert kubernetes and all(shared_urn in r.dependencies for r in kubernetes)


GUARDED = {
    "blue_green_update_policy": {
        "traffic_routing_configuration": {
            "type": "CANARY",
            "canary_size": {"type": "CAPACITY_PERCENT", "value": 10},
            "wait_interval_in_seconds": 300,
        },
        "maximum_execution_timeout_in_seconds": 1800,
    },
    "auto_rollback_configuration": {
        "alarms": [{"alarm_name": "canary-5xx", "metric": "5xx_ratio", "threshold": 0.01}]
    },
}


def test_the_traffic_split_gets_the_routers_whereabouts_policy_and_alarms() -> None:
    spec = endpoint(
        version("v1", traffic_percentile=20),
        version("v2", traffic_percentile=10),
        namespace="scoring",
        deployment_config=GUARDED,
        prometheus_url="http://prometheus.monitoring:9090",
    )
    split = run_under_mocks(lambda: Endpoint("ep", spec)).named("ep-traffic")
    assert split.inputs["endpoint"] == "ep" and split.inputs["namespace"] == "scoring"
    assert split.inputs["blue_green_update_policy"] == {
        "traffic_routing_configuration": {
            "type": "CANARY",
            "canary_size": {"type": "CAPACITY_PERCENT", "value": 10.0},
            "wait_interval_in_seconds": 300.0,
        },
        "termination_wait_in_seconds": 0.0,
        "maximum_execution_timeout_in_seconds": 1800.0,
    }
    assert split.inputs["alarms"] == {
        "canary-5xx": {"metric": "5xx_ratio", "threshold": 0.01, "window_seconds": 60.0, "min_requests": 20.0}
    }
    assert split.inputs["prometheus_url"] == "http://prometheus.monitoring:9090"
    # no cluster config in this stack: the provider process falls back to $KUBECONFIG
    assert "kubeconfig" not in split.inputs and "kube_context" not in split.inputs


KUBECONFIG_TEXT = "apiVersion: v1\nkind: Config\nusers: [{name: ci, user: {token: stack-token-0c4a}}]\n"


@pytest.mark.parametrize("preview", [False, True])
def test_the_traffic_split_gets_the_stacks_cluster_credentials_as_secrets(preview: bool) -> None:
    config = {"kubernetes:kubeconfig": KUBECONFIG_TEXT, "kubernetes:context": "prod"}
    graph = run_under_mocks(lambda: Endpoint("ep", endpoint(version("v1"))), config, preview=preview)
    split = graph.named("ep-traffic")
    assert split.inputs["kubeconfig"] == KUBECONFIG_TEXT and split.inputs["kube_context"] == "prod"
    assert {"kubeconfig", "kube_context"} <= set(split.secret_paths)
    for resource in graph.resources:  # the credentials go to the split only
        if resource.name != "ep-traffic":
            assert "stack-token-0c4a" not in json.dumps(resource.inputs), resource.name


def test_a_program_with_its_own_kubernetes_provider_passes_its_credentials() -> None:
    config = {"kubernetes:kubeconfig": "/stack/kubeconfig"}
    args = EndpointArgs(endpoint(version("v1")), kubeconfig="/explicit/kubeconfig", kube_context="edge")
    split = run_under_mocks(lambda: Endpoint("ep", args), config).named("ep-traffic")
    assert (split.inputs["kubeconfig"], split.inputs["kube_context"]) == ("/explicit/kubeconfig", "edge")
    assert {"kubeconfig", "kube_context"} <= set(split.secret_paths)


def test_the_endpoints_key_outputs_reach_the_engine_as_secrets() -> None:
    """Through the recording: what the engine receives when a program exports them."""
    spec = endpoint(version("v1"), token_auth_enabled=True)

    def program() -> None:
        ep = Endpoint("ep", spec)
        assert ep.keys is not None and ep.token_signing_key is not None
        pulumi.export("keys", ep.keys)
        pulumi.export("signing_key", ep.token_signing_key)
        pulumi.export("scoring_url", ep.scoring_url)

    graph = run_under_mocks(program)
    assert graph.secret_exports == {"keys", "signing_key"}


def _scripted(version_name: str, **fields: object) -> object:
    config = InferenceConfig(entry_script="score.py", base_image="python:3.11-slim")
    return version(version_name, image=None, inference_config=config, **fields)


def test_with_a_policy_deployments_roll_after_the_split_and_settle_comes_last(tmp_path: Path) -> None:
    (tmp_path / "score.py").write_text("def init():\n    pass\n\ndef run(raw):\n    return raw\n")
    spec = endpoint(
        _scripted("v1", traffic_percentile=90, num_replicas=2),
        _scripted("v2", traffic_percentile=10),
        deployment_config=GUARDED,
    )
    graph, _ = _build(spec, source_dir=tmp_path)
    split = graph.named("ep-traffic")
    settle = graph.named("ep-settle")
    for name in ("v1", "v2"):
        code = graph.named(f"ep-{name}-code")
        deployment = graph.named(f"ep-{name}-deployment")
        assert code.urn in split.dependencies, "green mounts the code: the split waits for it"
        assert split.urn in deployment.dependencies, "blue rolls only after the split moved its traffic"
        assert deployment.urn in settle.dependencies, "green is folded back once blue rolled"
        serving = split.inputs["versions_serving"][name]
        assert serving["green_deployment"]["metadata"]["name"] == f"ep-{name}-green"
        volumes = serving["green_deployment"]["spec"]["template"]["spec"]["volumes"]
        assert {"name": "code", "configMap": {"name": code.inputs["metadata"]["name"]}} in volumes
        assert serving["green_deployment"]["spec"]["template"] == {
            **deployment.inputs["spec"]["template"],
            "metadata": serving["green_deployment"]["spec"]["template"]["metadata"],
        }
        validate_manifest(serving["green_deployment"])
        validate_manifest(serving["green_service"])
    assert split.inputs["versions_serving"]["v1"]["fleet"] == 2
    assert settle.inputs["serving_digests"] == {
        name: each["digest"] for name, each in split.inputs["versions_serving"].items()
    }
    assert settle.inputs["versions"] == ["v1", "v2"] and settle.inputs["namespace"] == "ep"


def test_without_a_policy_nothing_waits_for_the_split_and_there_is_no_settle() -> None:
    graph, _ = _build(endpoint(version("v1", traffic_percentile=90), version("v2", traffic_percentile=10)))
    split = graph.named("ep-traffic")
    assert split.urn not in graph.named("ep-v1-deployment").dependencies
    assert not graph.of_type("model-endpoints:index:VersionSettle") and not [
        r for r in graph.resources if r.name == "ep-settle"
    ]
    # the digests are recorded all the same, so a policy added later compares with them
    assert set(split.inputs["versions_serving"]) == {"v1", "v2"}


def test_a_rolling_policy_with_alarms_is_guarded_like_a_blue_green_one() -> None:
    guarded_rolling = {
        "rolling_update_policy": {
            "maximum_batch_size": {"type": "INSTANCE_COUNT", "value": 1},
            "wait_interval_in_seconds": 60,
        },
        "auto_rollback_configuration": GUARDED["auto_rollback_configuration"],
    }
    graph, _ = _build(
        endpoint(version("v1", traffic_percentile=90, num_replicas=2), deployment_config=guarded_rolling)
    )
    split = graph.named("ep-traffic")
    assert split.urn in graph.named("ep-v1-deployment").dependencies
    assert graph.named("ep-v1-deployment").urn in graph.named("ep-settle").dependencies
    assert split.inputs["rolling_update_policy"]["maximum_batch_size"] == {"type": "INSTANCE_COUNT", "value": 1.0}
    config = graph.named("ep-router-config").inputs["data"]["haproxy.cfg"]
    assert "backend be_v1_green" in config
