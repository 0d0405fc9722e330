"""Model artifacts of a version (the seed's `models`): where each is fetched from, and where it lands.

A model is `{name, version, uri}` as Azure ML registers it. Its `uri` says where the files are:
object storage (`s3://`, `gs://`, an Azure Blob URL), `https://`, a claim (`pvc://<claim>/<path>`),
or, for `local up` only, a local path or `file://`. The files are served as Azure ML lays them
out, so existing entry scripts find them through `AZUREML_MODEL_DIR` unchanged: one model at
`<root>/<name>/<version>`, several under `<root>`. Credentials are never part of a URI: a model
names the Kubernetes Secret its fetch reads them from. Pydantic only: cluster and local mode
read these rules from here.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

__all__ = [
    "AZUREML_MODELS_ROOT",
    "KSERVE_STORAGE_REQUIREMENT",
    "KSERVE_STORAGE_VERSION",
    "LOCAL_ONLY_KINDS",
    "STORAGE_INITIALIZER_IMAGE",
    "ModelSpec",
    "UriKind",
    "cluster_uri_problem",
    "duplicate_models",
    "model_dir",
    "uri_kind",
]

# KServe's storage initializer: the image in clusters, the same release of its package locally.
KSERVE_STORAGE_VERSION = "0.21.0"
STORAGE_INITIALIZER_IMAGE = f"kserve/storage-initializer:v{KSERVE_STORAGE_VERSION}"
KSERVE_STORAGE_REQUIREMENT = f"kserve-storage=={KSERVE_STORAGE_VERSION}"
# Azure ML's place for a deployment's models (`AZUREML_MODEL_DIR` is this or a model under it).
AZUREML_MODELS_ROOT = "/var/azureml-app/azureml-models"

UriKind = Literal["s3", "gs", "azure-blob", "https", "pvc", "file", "local"]
LOCAL_ONLY_KINDS: frozenset[str] = frozenset({"file", "local"})
SUPPORTED_SCHEMES = (
    "s3://<bucket>/<path>, gs://<bucket>/<path>, https://<account>.blob.core.windows.net/"
    "<container>/<path>, https://<host>/<path>/<file>, pvc://<claim>/<path>, and for local up "
    "a local path or file:///<path>"
)
_AZURE_BLOB_HOST = re.compile(r"^[a-z0-9]{3,24}\.(blob\.core\.windows\.net|z[0-9]{1,2}\.blob\.storage\.azure\.net)$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
# A PersistentVolumeClaim name: a DNS-1123 subdomain.
_CLAIM = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# Azure ML's model names; '.' alone or '..' would leave the models directory.
_MODEL_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$"
_MODEL_VERSION = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_SECRET_NAME = r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$"


def _path_segments_ok(path: str) -> bool:
    return ".." not in path.split("/")


def uri_kind(uri: str) -> UriKind:
    """The kind of source `uri` names; ValueError saying why when it is none we support."""
    if not uri or any(ord(c) < 0x21 or ord(c) == 0x7F for c in uri):
        raise ValueError(f"{uri!r} is empty or has a space or control character")
    scheme = _SCHEME.match(uri)
    if scheme is None:  # no scheme: a local path (relative to the stack's directory or absolute)
        if not _path_segments_ok(uri) and not uri.startswith("/"):
            raise ValueError(f"{uri!r}: a relative local path must not have a '..' segment")
        return "local"
    name = scheme.group(1).lower()
    parts = urlsplit(uri)
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        raise ValueError(
            f"{uri!r} carries credentials or a query (user:password@, ?sig=..., #...): a URI must "
            "not hold credentials; put them in a Kubernetes Secret and name it in secret_name"
        )
    if name == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ValueError(f"{uri!r}: a file URI is file:///<absolute path>")
        return "file"
    if name == "pvc":
        path = parts.path.strip("/")
        if not _CLAIM.fullmatch(parts.netloc):
            raise ValueError(f"{uri!r}: pvc://<claim>/<path> needs a claim name (a DNS-1123 subdomain)")
        if not path or not _path_segments_ok(path):
            raise ValueError(
                f"{uri!r}: pvc://<claim>/<path> needs the model's path inside the claim (no '..'), "
                f"e.g. pvc://{parts.netloc}/models/mymodel/1"
            )
        return "pvc"
    if name in ("s3", "gs"):
        if not _BUCKET.fullmatch(parts.netloc):
            raise ValueError(f"{uri!r}: {name}://<bucket>/<path> needs a bucket name (3-222 lowercase letters, digits, '.', '_' and '-')")
        return "s3" if name == "s3" else "gs"
    if name == "https":
        host = (parts.hostname or "").lower()
        path = parts.path.strip("/")
        if not host:
            raise ValueError(f"{uri!r}: https://<host>/<path> needs a host")
        if _AZURE_BLOB_HOST.fullmatch(host):
            if "/" not in path:
                raise ValueError(
                    f"{uri!r}: an Azure Blob URL is https://<account>.blob.core.windows.net/"
                    "<container>/<path>"
                )
            return "azure-blob"
        if not path or parts.path.endswith("/"):
            raise ValueError(
                f"{uri!r}: an https:// model is one file (or a .zip/.tar.gz archive): the URL "
                "must end with its file name"
            )
        return "https"
    raise ValueError(f"{uri!r}: scheme {name}:// is not supported; use {SUPPORTED_SCHEMES}")


def cluster_uri_problem(uri: str) -> str | None:
    """Why a cluster cannot fetch `uri` (a local path or file://), or None when it can."""
    if uri_kind(uri) in LOCAL_ONLY_KINDS:
        return (
            f"{uri!r} is a local path, which only `model-endpoints local up` can serve; a cluster "
            "fetches a model by URI (s3://, gs://, an Azure Blob URL, https:// or pvc://): give "
            "that as uri, and the local copy as local_uri"
        )
    return None


def _check_uri(value: str) -> str:
    uri_kind(value)
    return value


def _as_text(value: object) -> object:
    """Azure ML versions are numbers (`version: 3` in YAML): kept as the text they are."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


ModelUri = Annotated[str, AfterValidator(_check_uri)]


class ModelSpec(BaseModel):
    """A model a version serves (Azure ML: a registered `Model`), fetched before its server starts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(
        pattern=_MODEL_NAME,
        description="Model name (Azure ML's registered name): 1-255 letters, digits, '_', '.' and "
        "'-', starting with a letter or digit. Its files are at `<models root>/<name>/<version>`.",
    )
    version: Annotated[str, BeforeValidator(_as_text)] = Field(
        pattern=_MODEL_VERSION,
        description="Model version (Azure ML numbers them: `3`), 1-64 letters, digits, '_', '.' "
        "and '-'. A new version rolls the version's pods.",
    )
    uri: ModelUri = Field(
        description="Where the model's files are: `s3://<bucket>/<path>`, `gs://<bucket>/<path>`, "
        "an Azure Blob URL (`https://<account>.blob.core.windows.net/<container>/<path>`), "
        "`https://<host>/<path>/<file>` (one file, or a .zip/.tar.gz archive that is unpacked), or "
        "`pvc://<claim>/<path>` (mounted read-only, not copied). A local path (relative to the "
        "stack's directory, or absolute) or `file:///<path>` only runs with `local up`; a "
        "cluster stack fails at preview with it. No credentials in the URI: see `secret_name`.",
    )
    local_uri: ModelUri | None = Field(
        default=None,
        description="Where `local up` takes the model from instead of `uri`, e.g. a local copy "
        "(`models/iris/model.pkl`) of what the cluster fetches from object storage. Unset: `uri`.",
    )
    sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-fA-F]{64}$",
        description="Expected SHA-256 of the model's content: of its file when it is one file "
        "(`sha256sum model.onnx`), else of the listing of its files (`cd <model dir> && find -L "
        ". -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum`). A model whose "
        "content differs is refused naming both digests: by `local up` before anything starts, "
        "in a cluster by the init container `verify-model-<index>` before the server starts.",
    )
    secret_name: str | None = Field(
        default=None,
        pattern=_SECRET_NAME,
        description="Kubernetes: an existing Secret in the endpoint's namespace with the "
        "credentials the storage initializer reads: its keys become the fetch's environment "
        "(`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_ENDPOINT_URL`, `AWS_DEFAULT_REGION`, "
        "`AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_CLIENT_SECRET`, `AZURE_STORAGE_ACCESS_KEY`, "
        "...); for `gs://` it is mounted and its key `gcloud-application-credentials.json` "
        "is the service account key file. Only the fetch sees it, never the model container. "
        "Unset: the pod's service account (see the version's `service_account_name`) or anonymous.",
    )

    @model_validator(mode="after")
    def _check(self) -> ModelSpec:
        if self.secret_name is not None and uri_kind(self.uri) in ("pvc", "file", "local"):
            raise ValueError(
                f"secret_name {self.secret_name!r}: {self.uri!r} is read from a volume or a "
                "local path, which needs no credentials; remove secret_name"
            )
        if self.local_uri is not None and uri_kind(self.local_uri) == "pvc":
            raise ValueError(
                f"local_uri {self.local_uri!r}: a claim cannot be read locally; give a local "
                "path or a URI local up can fetch"
            )
        return self

    @property
    def kind(self) -> UriKind:
        return uri_kind(self.uri)

    @property
    def relative_dir(self) -> str:
        """`<name>/<version>`: where the model lies under the models root."""
        return posixpath.join(self.name, self.version)


def model_dir(models: Sequence[ModelSpec], root: str = AZUREML_MODELS_ROOT) -> str:
    """`AZUREML_MODEL_DIR` as Azure ML sets it: the one model's own directory, else `root`."""
    return posixpath.join(root, models[0].relative_dir) if len(models) == 1 else root


def duplicate_models(models: Sequence[ModelSpec]) -> list[str]:
    """`<name>/<version>` pairs given more than once (they would land in one directory)."""
    seen: set[str] = set()
    repeated: list[str] = []
    for model in models:
        if model.relative_dir in seen and model.relative_dir not in repeated:
            repeated.append(model.relative_dir)
        seen.add(model.relative_dir)
    return repeated
