"""Version spec: one model version behind an endpoint, with the seed's `create_version` parameters.

Field names and defaults are Azure ML's `AksEndpoint.create_version` / `deploy_configuration`, so a
user migrating from the retired SDK recognises them; Kubernetes-only additions (`image`, `port`,
`node_pool`, ...) are marked as such in their descriptions.
"""

from __future__ import annotations

import posixpath
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from specification.models import ModelSpec, duplicate_models
from specification.names import ImageReference, ResourceName
from specification.pip_requirements import PipRequirement
from specification.routing import STEPS_PER_PERCENT, share_steps
from specification.source_paths import StackRelativePath

__all__ = [
    "COLLECT_SCRIPT_NAME",
    "InferenceConfig",
    "VersionSpec",
    "DEFAULT_SCORING_BASE_IMAGE",
    "INFERENCE_SERVER_REQUIREMENT",
    "SCORING_SERVER_PORT",
    "Percentile",
]

SCORING_SERVER_PORT = 5001  # azmlinfsrv's default port
DEFAULT_SCORING_BASE_IMAGE = "python:3.11-slim"
# Azure ML's inference server, as installed for inference-config versions (cluster and local).
INFERENCE_SERVER_REQUIREMENT = "azureml-inference-server-http>=1.5.1,<2"
# File name of the model data collection wrapper (`scoring/collect.py`) next to the entry script.
COLLECT_SCRIPT_NAME = "collect.py"
# environment variable names the project sets in model containers (model data collection)
RESERVED_ENV_PREFIX = "MODEL_ENDPOINTS_"


def _share(value: float) -> float:
    """The routing table's own rule on a share (0-100 in 0.01 steps), at the field that holds it."""
    return share_steps(value) / STEPS_PER_PERCENT


def _no_parent_segment(path: str) -> str:
    """The router's rule on the path it checks replicas with (`router.validation`), here so that
    the spec refuses what the router would refuse only at `up`."""
    if "/../" in f"{path}/":
        raise ValueError(f"{path!r} has a '..' segment; give the path itself")
    return path


# A traffic share in percent: a finite number from 0 to 100 in the router's 0.01% steps.
Percentile = Annotated[float, AfterValidator(_share)]


class InferenceConfig(BaseModel):
    """Run a scoring script with the generic inference server instead of a prebuilt image.

    The entry script defines `init()` and `run(data)`, as for Azure ML's inference server
    (`azmlinfsrv`), which serves it on `/score` with a health check on `/`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    entry_script: StackRelativePath = Field(
        min_length=1,
        pattern=r"^[A-Za-z0-9_./-]+\.py$",
        description="Path of the scoring script (with `init()` and `run(data)`), relative to the "
        "stack's directory and inside it (no absolute path, no `..`; a symbolic link must not "
        "lead out of it).",
    )
    requirements: list[PipRequirement] = Field(
        default_factory=list,
        description="pip requirements the script needs, one per entry as `packaging` parses "
        "them (name, extras, version specifiers, environment marker, or `name @ URL`); no pip "
        "options, line breaks or `${...}`. In the cluster an init container installs them with "
        "the inference server once per pod, locally they go into the version's cached virtualenv.",
    )
    base_image: ImageReference = Field(
        default=DEFAULT_SCORING_BASE_IMAGE,
        description="Container image with Python in which the inference server runs.",
    )


class VersionSpec(BaseModel):
    """One model version of an endpoint (Azure ML: `AksEndpoint.create_version`)."""

    # allow_inf_nan=False: an infinite cpu_cores/memory_gb (YAML `.inf`) is no Kubernetes quantity.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: ResourceName = Field(description="Version name (the seed's `version_name`).")
    # --- traffic and A/B roles
    traffic_percentile: Percentile = Field(
        default=0.0,
        description="Percent of the endpoint's traffic this version takes, in 0.01 steps. "
        "Traffic no version claims goes to the default version.",
    )
    is_default: bool = Field(
        default=False,
        description="Make this the default version, which receives the unassigned traffic. "
        "When no version sets it, the first version is the default.",
    )
    is_control_version_type: bool = Field(
        default=False,
        description="Mark this version as the A/B control; the others are treatments. At most "
        "one control per endpoint.",
    )
    # --- what runs
    image: ImageReference | None = Field(
        default=None,
        description="Kubernetes: container image serving the model (scoring on `/score`). "
        "Exactly one of `image` and `inference_config`.",
    )
    inference_config: InferenceConfig | None = Field(
        default=None,
        description="Entry script + requirements served by the generic inference server. "
        "Exactly one of `image` and `inference_config`.",
    )
    models: list[ModelSpec] = Field(
        default_factory=list,
        description="The models the version serves (the seed's `models`), each fetched before "
        "its server starts and found through `AZUREML_MODEL_DIR`: "
        "`/var/azureml-app/azureml-models/<name>/<version>` for one model, "
        "`/var/azureml-app/azureml-models` for several (Azure ML's layout). With an `image`, "
        "`MODEL_ENDPOINTS_MODEL_DIR` is set to the same directory.",
    )
    models_disk_gb: float = Field(
        default=10.0,
        gt=0,
        description="Kubernetes: disk (GB) for the models fetched into each pod: the size limit "
        "of their `emptyDir` volume and an `ephemeral-storage` request, so the pod lands on a "
        "node with room for them. Unused when every model is on a claim (`pvc://`).",
    )
    service_account_name: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$",
        description="Kubernetes: an existing service account the version's pods run as, e.g. one "
        "bound to a cloud identity (IRSA, GKE or Azure workload identity) that may read the "
        "models' bucket. Unset: the namespace's default.",
    )
    port: int = Field(
        default=SCORING_SERVER_PORT, ge=1, le=65535, description="Kubernetes: container port."
    )
    health_path: Annotated[str, AfterValidator(_no_parent_segment)] = Field(
        default="/",
        pattern=r"^/[A-Za-z0-9_./-]{0,254}$",
        description="Kubernetes: HTTP path of the liveness and readiness probes.",
    )
    env: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], str] = Field(
        default_factory=dict, description="Kubernetes: environment variables of the container."
    )
    node_pool: ResourceName | None = Field(
        default=None,
        description="Kubernetes: name of the node pool to run on (its SKU gives the GPU or FPGA).",
    )
    # --- scaling (seed semantics: autoscaling on unless num_replicas is set)
    autoscale_enabled: bool | None = Field(
        default=None, description="Autoscale this version. Defaults to True if num_replicas is unset."
    )
    autoscale_min_replicas: int = Field(default=1, ge=1, description="Fewest replicas when autoscaling.")
    autoscale_max_replicas: int = Field(default=10, ge=1, description="Most replicas when autoscaling.")
    autoscale_refresh_seconds: int = Field(
        default=1, ge=1, le=1800, description="How often the autoscaler attempts to scale, in seconds."
    )
    autoscale_target_utilization: int = Field(
        default=70,
        ge=1,
        le=100,
        description="Target utilization (percent of busy replicas) the autoscaler maintains.",
    )
    num_replicas: int | None = Field(
        default=None, ge=1, description="Fixed number of replicas; setting it turns autoscaling off."
    )
    # --- resources
    cpu_cores: float = Field(default=0.1, gt=0, description="CPU cores requested per replica.")
    memory_gb: float = Field(default=0.5, gt=0, description="Memory (GB) requested per replica.")
    cpu_cores_limit: float | None = Field(
        default=None, gt=0, description="Most CPU cores a replica may use (>= cpu_cores)."
    )
    memory_gb_limit: float | None = Field(
        default=None, gt=0, description="Most memory (GB) a replica may use (>= memory_gb)."
    )
    gpu_cores: int = Field(
        default=0, ge=0, description="GPUs per replica; > 0 only on a node pool whose SKU has GPUs."
    )
    # --- request handling (enforced by the router)
    scoring_timeout_ms: int = Field(
        default=60000, ge=1, description="Timeout of a scoring call, in ms; slower calls get 504."
    )
    replica_max_concurrent_requests: int = Field(
        default=1, ge=1, description="Most requests one replica handles at once."
    )
    max_request_wait_time: int = Field(
        default=500, ge=1, description="Most time (ms) a request waits in the queue before a 503."
    )
    # --- liveness probe (seed minimums)
    period_seconds: int = Field(default=10, ge=1, description="How often (s) the liveness probe runs.")
    initial_delay_seconds: int = Field(
        default=310, ge=0, description="Seconds after container start before liveness probes begin."
    )
    timeout_seconds: int = Field(default=2, ge=1, description="Seconds after which a probe times out.")
    success_threshold: int = Field(
        default=1,
        ge=1,
        description="Consecutive successes for a probe to count as passing after a failure. "
        "Kubernetes requires 1 for liveness probes, so it applies to the readiness probe.",
    )
    failure_threshold: int = Field(
        default=3, ge=1, description="Consecutive failures before Kubernetes gives up on a probe."
    )
    # --- metadata
    collect_model_data: bool = Field(
        default=False,
        description="Record scoring inputs and outputs of this version, one JSON line per request "
        "(time, version, request, response, error, duration): on the container's stdout in a "
        "cluster, to a file per version in local mode. With an "
        "`inference_config`, the entry script is served through a wrapper around its `run()` "
        "(the script is not changed; `run()` decorated with inference-schema's `@input_schema` is "
        "not supported). With an `image`, only `MODEL_ENDPOINTS_COLLECT_MODEL_DATA=true` is set: "
        "the image must honour it.",
    )
    tags: dict[str, str] = Field(default_factory=dict, description="Key-value tags.")
    properties: dict[str, str] = Field(
        default_factory=dict, description="Key-value properties; add-only after deployment."
    )
    description: str = Field(default="", description="A description of this version.")

    @model_validator(mode="after")
    def _check(self) -> VersionSpec:
        if (self.image is None) == (self.inference_config is None):
            raise ValueError("set exactly one of image and inference_config")
        if (
            self.collect_model_data
            and self.inference_config is not None
            and posixpath.basename(self.inference_config.entry_script) == COLLECT_SCRIPT_NAME
        ):
            raise ValueError(
                f"inference_config.entry_script {self.inference_config.entry_script!r}: the file "
                f"name {COLLECT_SCRIPT_NAME} is taken by the model data collection wrapper when "
                "collect_model_data is on; rename the script"
            )
        repeated = duplicate_models(self.models)
        if repeated:
            raise ValueError(
                f"models: {', '.join(repeated)} given more than once (each name/version is one "
                "directory under AZUREML_MODEL_DIR)"
            )
        if self.models and "AZUREML_MODEL_DIR" in self.env:
            raise ValueError(
                "env 'AZUREML_MODEL_DIR': set by model-endpoints to where the version's models "
                "are; remove it from env"
            )
        for name in self.env:
            if name.startswith(RESERVED_ENV_PREFIX) or (
                name == "PYTHONPATH" and self.inference_config is not None
            ):
                raise ValueError(
                    f"env {name!r}: set by model-endpoints itself (names starting with "
                    f"{RESERVED_ENV_PREFIX}, and PYTHONPATH with an inference_config, which "
                    "points at the installed inference server); choose another name"
                )
        if self.autoscale_enabled and self.num_replicas is not None:
            raise ValueError(
                f"autoscale_enabled is true but num_replicas is {self.num_replicas}: a fixed "
                "replica count turns autoscaling off; unset one of them"
            )
        if self.autoscale_enabled is False and self.num_replicas is None:
            raise ValueError("autoscale_enabled is false: set num_replicas")
        if self.autoscale_min_replicas > self.autoscale_max_replicas:
            raise ValueError(
                f"autoscale_min_replicas ({self.autoscale_min_replicas}) must be <= "
                f"autoscale_max_replicas ({self.autoscale_max_replicas})"
            )
        if self.cpu_cores_limit is not None and self.cpu_cores_limit < self.cpu_cores:
            raise ValueError(
                f"cpu_cores_limit ({self.cpu_cores_limit}) must be >= cpu_cores ({self.cpu_cores})"
            )
        if self.memory_gb_limit is not None and self.memory_gb_limit < self.memory_gb:
            raise ValueError(
                f"memory_gb_limit ({self.memory_gb_limit}) must be >= memory_gb ({self.memory_gb})"
            )
        return self

    @property
    def autoscaled(self) -> bool:
        """Whether an autoscaler owns the replica count (seed: on unless num_replicas is set)."""
        return self.num_replicas is None

    @property
    def max_replicas(self) -> int:
        """The most replicas this version can run: capacity planning uses it."""
        return self.autoscale_max_replicas if self.autoscaled else int(self.num_replicas or 0)

    @property
    def role(self) -> str:
        """`control` or `treatment`, the A/B role the router reports."""
        return "control" if self.is_control_version_type else "treatment"
