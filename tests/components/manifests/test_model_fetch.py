"""A version's models in its Deployment, scheme by scheme, every manifest schema-checked: the
storage-initializer init container per fetched model with its uri and directory, the Secret only
in that container (as environment, or mounted for gs://), the emptyDir sized by models_disk_gb,
a claim mounted read-only with no copy, AZUREML_MODEL_DIR as Azure ML lays it out (and
MODEL_ENDPOINTS_MODEL_DIR for images), no mount inside another read-only one, and a changed uri or
model version changing the pod template (so the pods roll)."""

from __future__ import annotations

from typing import Any

import pytest

from components.manifests.workload import deployment
from components.manifests.model_fetch import VERIFY_SCRIPT
from specification.models import STORAGE_INITIALIZER_IMAGE
from specification.version import InferenceConfig
from tests.kubernetes_schema import validate_manifest
from tests.specs import endpoint, version

ROOT = "/var/azureml-app/azureml-models"


def _pod(**fields: Any) -> dict[str, Any]:
    spec = version(**fields)
    manifest = deployment(endpoint(spec), spec, None)
    validate_manifest(manifest)
    pod: dict[str, Any] = manifest["spec"]["template"]["spec"]
    return pod


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container.get("env", [])}


def _model(uri: str, **fields: Any) -> dict[str, Any]:
    return {"name": fields.pop("name", "iris"), "version": fields.pop("version", 3), "uri": uri, **fields}


@pytest.mark.parametrize(
    "uri",
    [
        "s3://models/iris/3",
        "gs://models/iris/3",
        "https://account1.blob.core.windows.net/models/iris/3",
        "https://models.example.com/iris/3/model.onnx",
    ],
)
def test_a_fetched_model_is_downloaded_by_the_storage_initializer_before_the_server(uri: str) -> None:
    pod = _pod(models=[_model(uri)])
    fetch = pod["initContainers"][0]
    assert fetch["name"] == "fetch-model-0" and fetch["image"] == STORAGE_INITIALIZER_IMAGE
    assert fetch["args"] == [uri, "/mnt/models/iris/3"]  # the image's own entrypoint
    assert fetch["volumeMounts"] == [{"name": "models", "mountPath": "/mnt/models"}]
    assert "envFrom" not in fetch and "env" not in fetch  # no Secret named: nothing passed
    assert {"name": "models", "emptyDir": {"sizeLimit": "10Gi"}} in pod["volumes"]
    model = pod["containers"][0]
    assert model["volumeMounts"] == [
        {"name": "models", "mountPath": f"{ROOT}/iris/3", "subPath": "iris/3", "readOnly": True}
    ]
    assert model["resources"]["requests"]["ephemeral-storage"] == "10Gi"
    env = _env(model)
    assert env["AZUREML_MODEL_DIR"] == f"{ROOT}/iris/3"
    assert env["MODEL_ENDPOINTS_MODEL_DIR"] == f"{ROOT}/iris/3"  # an image version


def test_a_secret_reaches_only_its_own_fetch_as_environment() -> None:
    pod = _pod(
        models=[
            _model("s3://models/iris/3", secret_name="s3-credentials"),
            _model("https://account1.blob.core.windows.net/m/x", name="x", secret_name="azure-sp"),
            _model("https://models.example.com/y/1/model.onnx", name="y"),
        ]
    )
    fetches = pod["initContainers"]
    assert [f["name"] for f in fetches] == ["fetch-model-0", "fetch-model-1", "fetch-model-2"]
    assert fetches[0]["envFrom"] == [{"secretRef": {"name": "s3-credentials"}}]
    assert fetches[1]["envFrom"] == [{"secretRef": {"name": "azure-sp"}}]
    assert "envFrom" not in fetches[2]
    model = pod["containers"][0]
    assert "envFrom" not in model and "s3-credentials" not in str(model)


def test_a_gcs_secret_is_mounted_as_the_key_file_kserve_reads() -> None:
    pod = _pod(models=[_model("gs://models/iris/3", secret_name="gcs-key")])
    fetch = pod["initContainers"][0]
    assert _env(fetch) == {
        "GOOGLE_APPLICATION_CREDENTIALS": "/var/secrets/model-secret-0/gcloud-application-credentials.json"
    }
    assert {"name": "model-secret-0", "mountPath": "/var/secrets/model-secret-0", "readOnly": True} in fetch[
        "volumeMounts"
    ]
    assert {"name": "model-secret-0", "secret": {"secretName": "gcs-key"}} in pod["volumes"]


def test_a_claim_is_mounted_read_only_with_no_copy_and_no_disk_request() -> None:
    pod = _pod(
        models=[
            _model("pvc://model-store/registry/iris/3"),
            _model("pvc://model-store/registry/resnet/7", name="resnet", version=7),
        ],
        service_account_name="model-reader",
    )
    assert "initContainers" not in pod
    assert pod["volumes"] == [
        {"name": "model-claim-0", "persistentVolumeClaim": {"claimName": "model-store", "readOnly": True}}
    ]
    model = pod["containers"][0]
    assert model["volumeMounts"] == [
        {"name": "model-claim-0", "mountPath": f"{ROOT}/iris/3", "subPath": "registry/iris/3", "readOnly": True},
        {"name": "model-claim-0", "mountPath": f"{ROOT}/resnet/7", "subPath": "registry/resnet/7", "readOnly": True},
    ]
    assert _env(model)["AZUREML_MODEL_DIR"] == ROOT  # several models: their parent, as Azure ML
    assert "ephemeral-storage" not in model["resources"]["requests"]
    assert pod["serviceAccountName"] == "model-reader"


def test_an_inference_config_version_fetches_before_it_installs_and_mounts_beside_its_code() -> None:
    pod = _pod(
        image=None,
        inference_config=InferenceConfig(entry_script="score.py"),
        models=[_model("s3://models/iris/3"), _model("pvc://store/resnet/7", name="resnet", version=7)],
        models_disk_gb=2.5,
    )
    assert [c["name"] for c in pod["initContainers"]] == ["fetch-model-0", "install"]
    assert {"name": "models", "emptyDir": {"sizeLimit": "2560Mi"}} in pod["volumes"]
    model = pod["containers"][0]
    env = _env(model)
    assert env["AZUREML_MODEL_DIR"] == ROOT and "MODEL_ENDPOINTS_MODEL_DIR" not in env
    mounts = model["volumeMounts"]
    read_only = [m["mountPath"] for m in mounts if m.get("readOnly")]
    for mount in mounts:  # a runtime cannot create a mount point inside a read-only mount
        assert not any(mount["mountPath"].startswith(f"{outer}/") for outer in read_only), mount


def _template(uri: str, model_version: int) -> dict[str, Any]:
    spec = version(models=[_model(uri, version=model_version)])
    template: dict[str, Any] = deployment(endpoint(spec), spec, None)["spec"]["template"]
    return template


def test_a_new_uri_or_model_version_changes_the_pod_template_and_rolls_the_pods() -> None:
    before = _template("s3://models/iris/3", 3)
    assert _template("s3://models/iris/3", 3) == before
    assert _template("s3://models/iris/4", 3) != before
    assert _template("s3://models/iris/3", 4) != before
    assert _template("pvc://store/iris/3", 3) != _template("pvc://store/iris/4", 3)


def test_a_version_without_models_is_unchanged_by_them() -> None:
    pod = _pod()
    assert "initContainers" not in pod and "volumes" not in pod
    assert "AZUREML_MODEL_DIR" not in _env(pod["containers"][0])


def test_a_checksum_is_verified_after_the_fetches_from_where_each_model_is() -> None:
    digest = "AB" * 32
    pod = _pod(
        models=[
            _model("s3://models/iris/3", sha256=digest),
            _model("https://models.example.com/x/1/model.onnx", name="x", version=1),
            _model("pvc://store/registry/resnet/7", name="resnet", version=7, sha256="cd" * 32),
        ]
    )
    names = [c["name"] for c in pod["initContainers"]]
    assert names == ["fetch-model-0", "fetch-model-1", "verify-model-0", "verify-model-2"]
    fetched, claimed = pod["initContainers"][2], pod["initContainers"][3]
    assert fetched["image"] == STORAGE_INITIALIZER_IMAGE
    assert fetched["command"] == ["/bin/sh", "-c", VERIFY_SCRIPT, "verify-model"]
    assert fetched["args"] == ["/mnt/models/iris/3", "ab" * 32, "model iris:3"]
    assert fetched["volumeMounts"] == [{"name": "models", "mountPath": "/mnt/models", "readOnly": True}]
    assert claimed["args"] == ["/mnt/models/resnet/7", "cd" * 32, "model resnet:7"]
    assert claimed["volumeMounts"] == [
        {"name": "model-claim-0", "mountPath": "/mnt/models/resnet/7", "subPath": "registry/resnet/7", "readOnly": True}
    ]
