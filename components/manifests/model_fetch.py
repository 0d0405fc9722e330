"""A version's models in its pods: fetched by KServe's storage initializer, or mounted from a claim.

Each model fetched from object storage or HTTPS gets an init container of KServe's
storage-initializer image (its own entrypoint, `<uri> <dir>`), which writes into an `emptyDir`
sized by `models_disk_gb`; the pod's server starts only once every fetch succeeded, and a failed
one leaves the pod in `Init:Error` with the initializer's message in that container's log. A
model's Secret reaches only its own init container. A `pvc://` model is its claim, mounted
read-only with no copy. A model with a `sha256` is then checked by a `verify-model-<index>` init
container (the same image's POSIX shell and coreutils, computing the digest that
`local_runtime.model_digest` defines), which fails the pod naming both digests. In the model container every model is a read-only mount of its own at
`/var/azureml-app/azureml-models/<name>/<version>` (a `subPath` of the volume holding it), so no
mount lies inside another read-only one (a container runtime cannot create a mount point there),
and `AZUREML_MODEL_DIR` is set as Azure ML sets it.
"""

from __future__ import annotations

import posixpath
from typing import Any
from urllib.parse import urlsplit

from specification.models import (
    AZUREML_MODELS_ROOT,
    STORAGE_INITIALIZER_IMAGE,
    ModelSpec,
    model_dir,
)
from specification.version import VersionSpec

__all__ = [
    "FETCH_DIR",
    "GCS_CREDENTIALS_FILE",
    "MODEL_DIR_ENV",
    "MODELS_VOLUME",
    "VERIFY_SCRIPT",
    "fetch_containers",
    "model_environment",
    "model_mounts",
    "model_volumes",
    "models_disk_quantity",
    "verify_containers",
]

MODELS_VOLUME = "models"  # the emptyDir the initializers write into
FETCH_DIR = "/mnt/models"  # where the initializers see it
MODEL_DIR_ENV = "AZUREML_MODEL_DIR"
IMAGE_MODEL_DIR_ENV = "MODEL_ENDPOINTS_MODEL_DIR"
# KServe's convention for a GCS service account key in a Secret (its gcs credential builder).
GCS_CREDENTIALS_FILE = "gcloud-application-credentials.json"
_SECRETS_DIR = "/var/secrets"
# `sh -c VERIFY_SCRIPT verify-model <dir> <expected sha256> <label>`: the model digest of <dir>
# (one file: its sha256; several: the sha256 of their sorted sha256sum listing, links followed).
VERIFY_SCRIPT = """\
cd "$1" || exit 1
count=$(find -L . -type f -print0 | tr -dc '\\000' | wc -c)
if [ "$count" -eq 0 ]; then
  echo "$3: $1 holds no file" >&2
  exit 1
elif [ "$count" -eq 1 ]; then
  actual=$(find -L . -type f -print0 | xargs -0 cat | sha256sum | cut -d ' ' -f 1)
else
  actual=$(find -L . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d ' ' -f 1)
fi
if [ "$actual" != "$2" ]; then
  echo "$3: sha256 mismatch: expected $2, got $actual" >&2
  exit 1
fi
echo "$3: sha256 $actual verified"
"""


def _fetched(version: VersionSpec) -> list[tuple[int, ModelSpec]]:
    return [(i, m) for i, m in enumerate(version.models) if m.kind != "pvc"]


def _claim(model: ModelSpec) -> tuple[str, str]:
    parts = urlsplit(model.uri)
    return parts.netloc, parts.path.strip("/")


def _claims(version: VersionSpec) -> list[str]:
    """Distinct claims in the order the models name them (one volume each)."""
    return list(dict.fromkeys(_claim(m)[0] for m in version.models if m.kind == "pvc"))


def _claim_volume(index: int) -> str:
    return f"model-claim-{index}"


def _secret_volume(index: int) -> str:
    return f"model-secret-{index}"


def models_disk_quantity(gigabytes: float) -> str:
    """The models' disk as a quantity, in Mi (binary GB, as the seed sizes memory)."""
    mebibytes = max(1, round(gigabytes * 1024))
    return f"{mebibytes // 1024}Gi" if mebibytes % 1024 == 0 else f"{mebibytes}Mi"


def fetch_containers(version: VersionSpec, resources: dict[str, Any]) -> list[dict[str, Any]]:
    """One init container per fetched model (`fetch-model-<index in models>`), in spec order."""
    containers = []
    for index, model in _fetched(version):
        mounts: list[dict[str, Any]] = [{"name": MODELS_VOLUME, "mountPath": FETCH_DIR}]
        container: dict[str, Any] = {
            "name": f"fetch-model-{index}",
            "image": STORAGE_INITIALIZER_IMAGE,
            "args": [model.uri, posixpath.join(FETCH_DIR, model.relative_dir)],
            "resources": resources,
        }
        if model.secret_name is not None and model.kind == "gs":
            directory = posixpath.join(_SECRETS_DIR, _secret_volume(index))
            mounts.append({"name": _secret_volume(index), "mountPath": directory, "readOnly": True})
            container["env"] = [
                {
                    "name": "GOOGLE_APPLICATION_CREDENTIALS",
                    "value": posixpath.join(directory, GCS_CREDENTIALS_FILE),
                }
            ]
        elif model.secret_name is not None:
            container["envFrom"] = [{"secretRef": {"name": model.secret_name}}]
        container["volumeMounts"] = mounts
        containers.append(container)
    return containers


def verify_containers(version: VersionSpec, resources: dict[str, Any]) -> list[dict[str, Any]]:
    """One init container per model with a `sha256`, after the fetches: it reads the model where
    the fetch wrote it (or from its claim) and fails the pod when the content differs."""
    claims = _claims(version)
    containers = []
    for index, model in enumerate(version.models):
        if model.sha256 is None:
            continue
        directory = posixpath.join(FETCH_DIR, model.relative_dir)
        if model.kind == "pvc":
            claim, path = _claim(model)
            mount = {
                "name": _claim_volume(claims.index(claim)),
                "mountPath": directory,
                "subPath": path,
                "readOnly": True,
            }
        else:
            mount = {"name": MODELS_VOLUME, "mountPath": FETCH_DIR, "readOnly": True}
        label = f"model {model.name}:{model.version}"
        containers.append(
            {
                "name": f"verify-model-{index}",
                "image": STORAGE_INITIALIZER_IMAGE,
                "command": ["/bin/sh", "-c", VERIFY_SCRIPT, "verify-model"],
                "args": [directory, model.sha256.lower(), label],
                "resources": resources,
                "volumeMounts": [mount],
            }
        )
    return containers


def model_volumes(version: VersionSpec) -> list[dict[str, Any]]:
    """The emptyDir of fetched models (sized by `models_disk_gb`), one volume per claim, and the
    Secrets mounted for `gs://` fetches."""
    volumes: list[dict[str, Any]] = []
    if _fetched(version):
        volumes.append(
            {"name": MODELS_VOLUME, "emptyDir": {"sizeLimit": models_disk_quantity(version.models_disk_gb)}}
        )
    for index, claim in enumerate(_claims(version)):
        volumes.append(
            {"name": _claim_volume(index), "persistentVolumeClaim": {"claimName": claim, "readOnly": True}}
        )
    for index, model in _fetched(version):
        if model.secret_name is not None and model.kind == "gs":
            volumes.append({"name": _secret_volume(index), "secret": {"secretName": model.secret_name}})
    return volumes


def model_mounts(version: VersionSpec) -> list[dict[str, Any]]:
    """The model container's read-only mounts, one per model at `<root>/<name>/<version>`."""
    claims = _claims(version)
    mounts = []
    for model in version.models:
        if model.kind == "pvc":
            claim, path = _claim(model)
            volume, sub_path = _claim_volume(claims.index(claim)), path
        else:
            volume, sub_path = MODELS_VOLUME, model.relative_dir
        mounts.append(
            {
                "name": volume,
                "mountPath": posixpath.join(AZUREML_MODELS_ROOT, model.relative_dir),
                "subPath": sub_path,
                "readOnly": True,
            }
        )
    return mounts


def model_environment(version: VersionSpec) -> list[dict[str, str]]:
    """`AZUREML_MODEL_DIR` (and `MODEL_ENDPOINTS_MODEL_DIR` for an image) when there are models."""
    if not version.models:
        return []
    directory = model_dir(version.models)
    env = [{"name": MODEL_DIR_ENV, "value": directory}]
    if version.image is not None:
        env.append({"name": IMAGE_MODEL_DIR_ENV, "value": directory})
    return env
