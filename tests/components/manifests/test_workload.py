"""A version's Deployment and code ConfigMap."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from components.manifests.workload import (
    code_config_map,
    code_files,
    deployment,
    install_command,
    scoring_command,
)
from specification import InferenceConfig
from tests.kubernetes_schema import validate_manifest
from tests.specs import endpoint, pool, version


def _container(manifest: dict[str, Any]) -> dict[str, Any]:
    return manifest["spec"]["template"]["spec"]["containers"][0]


def test_defaults_follow_the_seed_and_validate() -> None:
    ep = endpoint(version("v1"))
    manifest = deployment(ep, ep.versions[0], None)
    validate_manifest(manifest)
    container = _container(manifest)
    assert container["resources"] == {"requests": {"cpu": "100m", "memory": "512Mi"}}
    assert container["livenessProbe"] == {
        "httpGet": {"path": "/", "port": "http"},
        "initialDelaySeconds": 310,
        "periodSeconds": 10,
        "timeoutSeconds": 2,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    assert container["readinessProbe"]["initialDelaySeconds"] == 0
    assert manifest["metadata"]["name"] == "ep-v1"
    assert manifest["metadata"]["namespace"] == "ep"
    # scoring_timeout_ms 60000 -> in-flight requests get 60 s + margin to finish on shutdown
    assert manifest["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 65


def test_autoscaled_deployment_leaves_replicas_to_the_autoscaler() -> None:
    ep = endpoint(version("v1"))
    assert "replicas" not in deployment(ep, ep.versions[0], None)["spec"]


def test_fixed_replicas() -> None:
    ep = endpoint(version("v1", num_replicas=3))
    assert deployment(ep, ep.versions[0], None)["spec"]["replicas"] == 3


def test_probe_and_limit_fields_map_through() -> None:
    v = version(
        "v1",
        period_seconds=5,
        initial_delay_seconds=30,
        timeout_seconds=4,
        success_threshold=2,
        failure_threshold=6,
        cpu_cores=1.5,
        memory_gb=2,
        cpu_cores_limit=2,
        memory_gb_limit=3,
        health_path="/healthz",
        port=8080,
    )
    ep = endpoint(v)
    manifest = deployment(ep, v, None)
    validate_manifest(manifest)
    container = _container(manifest)
    assert container["resources"] == {
        "requests": {"cpu": "1500m", "memory": "2Gi"},
        "limits": {"cpu": "2", "memory": "3Gi"},
    }
    live, ready = container["livenessProbe"], container["readinessProbe"]
    assert (live["periodSeconds"], live["initialDelaySeconds"], live["timeoutSeconds"]) == (5, 30, 4)
    assert live["failureThreshold"] == ready["failureThreshold"] == 6
    assert live["successThreshold"] == 1  # Kubernetes rejects anything else on liveness
    assert ready["successThreshold"] == 2
    assert live["httpGet"]["path"] == "/healthz"
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]


def test_gpu_version_requests_gpus_and_lands_on_its_pool() -> None:
    gpu_pool = pool("gpu", "Standard_NC12s_v3", max_nodes=2, labels={"team": "vision"})
    v = version("v1", node_pool="gpu", gpu_cores=2)
    ep = endpoint(v)
    manifest = deployment(ep, v, gpu_pool)
    validate_manifest(manifest)
    resources = _container(manifest)["resources"]
    assert resources["requests"]["nvidia.com/gpu"] == "2"
    assert resources["limits"]["nvidia.com/gpu"] == "2"
    pod = manifest["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"node.kubernetes.io/instance-type": "Standard_NC12s_v3", "team": "vision"}
    assert pod["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
    ]


def test_fpga_version_gets_one_fpga() -> None:
    fpga_pool = pool("fpga", "Standard_NP10s", max_nodes=2)
    v = version("v1", node_pool="fpga", num_replicas=2)
    ep = endpoint(v)
    manifest = deployment(ep, v, fpga_pool)
    validate_manifest(manifest)
    requests = _container(manifest)["resources"]["requests"]
    assert requests[fpga_pool.resource_name] == "1"
    assert fpga_pool.resource_name.startswith("xilinx.com/fpga-")


def test_pool_with_explicit_empty_taints_needs_no_tolerations() -> None:
    gpu_pool = pool("gpu", "g5.xlarge", max_nodes=10, taints=[])
    v = version("v1", node_pool="gpu", gpu_cores=1)
    manifest = deployment(endpoint(v), v, gpu_pool)
    assert "tolerations" not in manifest["spec"]["template"]["spec"]


def test_inference_config_mounts_its_code_and_runs_the_inference_server() -> None:
    v = version(
        "v1",
        image=None,
        inference_config=InferenceConfig(entry_script="models/v1/score.py", requirements=["numpy>=1.26"]),
        gpu_cores=1,
    )
    ep = endpoint(v)
    gpu_pool = pool("gpu", "Standard_NC4as_T4_v3")
    script = "def init():\n    pass\n\ndef run(data):\n    return data\n"
    code = code_files(v, script)
    assert code == {"score.py": script, "requirements.txt": "numpy>=1.26\n"}
    config_map = code_config_map(ep, v, script)
    validate_manifest(config_map)
    manifest = deployment(ep, v, gpu_pool, code)
    validate_manifest(manifest)
    pod = manifest["spec"]["template"]
    assert pod["spec"]["volumes"] == [
        {"name": "code", "configMap": {"name": config_map["metadata"]["name"]}},
        {"name": "site", "emptyDir": {}},
    ]
    # the init container installs the server and the requirements into the volume, once per pod
    (install,) = pod["spec"]["initContainers"]
    assert install["image"] == "python:3.11-slim"
    assert install["command"] == install_command()
    assert install["command"][2] == (
        "pip install --no-cache-dir --disable-pip-version-check --no-warn-script-location "
        "--target /opt/model-endpoints/site 'azureml-inference-server-http>=1.5.1,<2' "
        "-r /var/azureml-app/code/requirements.txt"
    )
    assert install["volumeMounts"] == [
        {"name": "code", "mountPath": "/var/azureml-app/code", "readOnly": True},
        {"name": "site", "mountPath": "/opt/model-endpoints/site"},
    ]
    # CPU and memory like the model, but no GPU: the device stays free for the model container
    assert install["resources"] == {"requests": {"cpu": "100m", "memory": "512Mi"}}
    # the model container runs what was installed, read-only
    container = _container(manifest)
    assert container["image"] == "python:3.11-slim"
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert container["command"] == scoring_command(v)
    assert container["command"][2] == (
        "exec /opt/model-endpoints/site/bin/azmlinfsrv "
        "--entry_script /var/azureml-app/code/score.py --port 5001"
    )
    assert container["env"] == [{"name": "PYTHONPATH", "value": "/opt/model-endpoints/site"}]
    assert container["volumeMounts"] == [
        {"name": "code", "mountPath": "/var/azureml-app/code", "readOnly": True},
        {"name": "site", "mountPath": "/opt/model-endpoints/site", "readOnly": True},
    ]
    # changed code -> a different pod template -> a rollout
    other = deployment(ep, v, gpu_pool, code_files(v, script + "# v2\n"))
    assert (
        other["spec"]["template"]["metadata"]["annotations"] != pod["metadata"]["annotations"]
    )


def test_an_image_version_has_no_install_step() -> None:
    v = version("v1")
    pod = deployment(endpoint(v), v, None)["spec"]["template"]["spec"]
    assert "initContainers" not in pod and "volumes" not in pod
    assert "command" not in pod["containers"][0]


def test_role_tags_and_properties_are_annotations() -> None:
    v = version("v1", is_control_version_type=True, tags={"a": "1"}, properties={"p": "x"}, description="d")
    manifest = deployment(endpoint(v), v, None)
    assert manifest["metadata"]["annotations"] == {
        "model-endpoints.io/role": "control",
        "model-endpoints.io/description": "d",
        "model-endpoints.io/tags": '{"a": "1"}',
        "model-endpoints.io/properties": '{"p": "x"}',
    }


def test_collect_model_data_is_passed_to_the_container() -> None:
    v = version("v1", collect_model_data=True, env={"LOG_LEVEL": "info"})
    env = _container(deployment(endpoint(v), v, None))["env"]
    assert {"name": "MODEL_ENDPOINTS_COLLECT_MODEL_DATA", "value": "true"} in env
    assert {"name": "LOG_LEVEL", "value": "info"} in env


def _collecting_script_version(**fields: Any) -> Any:
    return version(
        "v1",
        image=None,
        inference_config=InferenceConfig(entry_script="models/v1/score.py", requirements=["numpy>=1.26"]),
        collect_model_data=True,
        **fields,
    )


SCRIPT = "def init():\n    pass\n\ndef run(data):\n    return data\n"


def test_collecting_inference_config_mounts_the_wrapper_and_serves_it() -> None:
    v = _collecting_script_version(env={"LOG_LEVEL": "info"})
    ep = endpoint(v)
    wrapper = Path(importlib.util.find_spec("scoring.collect").origin).read_text()  # type: ignore[arg-type]
    code = code_files(v, SCRIPT)
    assert code == {"score.py": SCRIPT, "requirements.txt": "numpy>=1.26\n", "collect.py": wrapper}
    config_map = code_config_map(ep, v, SCRIPT)
    validate_manifest(config_map)
    assert config_map["data"] == code
    manifest = deployment(ep, v, None, code)
    validate_manifest(manifest)
    container = _container(manifest)
    assert container["command"] == scoring_command(v)
    assert container["command"][2] == (
        "exec /opt/model-endpoints/site/bin/azmlinfsrv "
        "--entry_script /var/azureml-app/code/collect.py --port 5001"
    )
    assert container["env"] == [
        {"name": "PYTHONPATH", "value": "/opt/model-endpoints/site"},
        {"name": "LOG_LEVEL", "value": "info"},
        {"name": "MODEL_ENDPOINTS_COLLECT_MODEL_DATA", "value": "true"},
        {"name": "MODEL_ENDPOINTS_ENTRY_SCRIPT", "value": "/var/azureml-app/code/score.py"},
        {"name": "MODEL_ENDPOINTS_VERSION", "value": "v1"},
    ]  # no MODEL_ENDPOINTS_MODEL_DATA_FILE: the lines go to stdout, where the log pipeline reads
    assert container["volumeMounts"][0] == {
        "name": "code",
        "mountPath": "/var/azureml-app/code",
        "readOnly": True,
    }


def test_code_checksum_covers_the_collection_wrapper() -> None:
    v = _collecting_script_version()
    ep = endpoint(v)
    code = code_files(v, SCRIPT)

    def checksum(files: dict[str, str]) -> str:
        return deployment(ep, v, None, files)["spec"]["template"]["metadata"]["annotations"][
            "model-endpoints.io/code-sha256"
        ]

    assert checksum(code) != checksum({**code, "collect.py": code["collect.py"] + "# changed\n"})
    not_collecting = v.model_copy(update={"collect_model_data": False})
    assert "collect.py" not in code_files(not_collecting, SCRIPT)
    assert checksum(code) != checksum(code_files(not_collecting, SCRIPT))


def test_inference_config_without_collection_serves_the_script_itself() -> None:
    v = _collecting_script_version().model_copy(update={"collect_model_data": False})
    container = _container(deployment(endpoint(v), v, None, code_files(v, SCRIPT)))
    assert container["command"][2].endswith(
        "/bin/azmlinfsrv --entry_script /var/azureml-app/code/score.py --port 5001"
    )
    assert container["env"] == [{"name": "PYTHONPATH", "value": "/opt/model-endpoints/site"}]


def test_collecting_image_version_only_gets_the_flag() -> None:
    v = version("v1", collect_model_data=True)
    ep = endpoint(v)
    assert code_files(v, "") == {}
    manifest = deployment(ep, v, None)
    validate_manifest(manifest)
    container = _container(manifest)
    assert container["env"] == [{"name": "MODEL_ENDPOINTS_COLLECT_MODEL_DATA", "value": "true"}]
    assert "command" not in container  # the image's own server runs, and must honour the flag


@pytest.mark.parametrize("namespace", [None, "shared-ns"])
def test_namespace(namespace: str | None) -> None:
    ep = endpoint(version("v1"), namespace=namespace)
    assert deployment(ep, ep.versions[0], None)["metadata"]["namespace"] == (namespace or "ep")


def test_inference_server_is_pinned_to_a_compatible_range() -> None:
    assert "'azureml-inference-server-http>=1.5.1,<2'" in install_command()[2]
