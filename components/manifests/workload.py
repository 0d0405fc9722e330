"""A version's Deployment (and, for an inference config, the ConfigMap holding its code).

An inference-config version runs Azure ML's inference server in its `base_image`. The server and
the version's requirements are installed by an init container into an `emptyDir` volume, once
per pod: a restarted model container (a failed liveness probe, an `init()` that raised) starts
again at once instead of downloading everything again, a failed install shows as the pod's
`Init:Error` with pip's own words in the init container's log, and the install works in images
that run as a non-root user, since it writes only to the volume.

The code is mounted at `/var/azureml-app/code`, beside (not around) the models under
`/var/azureml-app/azureml-models` (`components.manifests.model_fetch`): a mount point cannot be
created inside the read-only ConfigMap volume.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import math
import posixpath
from collections.abc import Mapping
from typing import Any

from components.manifests.labels import object_name, version_labels, version_selector
from components.manifests.model_fetch import (
    fetch_containers,
    model_environment,
    model_mounts,
    model_volumes,
    models_disk_quantity,
    verify_containers,
)
from components.manifests.quantities import cpu_quantity, memory_quantity
from components.manifests.rolling_update import rollout_fields
from specification.endpoint import EndpointSpec
from specification.node_pool import NodePoolSpec
from specification.placement import accelerator_request
from specification.rolling_update import RollingUpdatePolicy
from specification.version import (
    COLLECT_SCRIPT_NAME,
    INFERENCE_SERVER_REQUIREMENT,
    VersionSpec,
)

__all__ = [
    "CODE_MOUNT_PATH",
    "SITE_MOUNT_PATH",
    "code_config_map",
    "code_config_map_name",
    "code_digest",
    "code_files",
    "collect_script_text",
    "deployment",
    "install_command",
    "scoring_command",
]

CODE_MOUNT_PATH = "/var/azureml-app/code"
SITE_MOUNT_PATH = "/opt/model-endpoints/site"  # the installed server and requirements
CONTAINER_NAME = "model"
INSTALL_CONTAINER_NAME = "install"
# Time a replica gets after SIGTERM beyond its scoring timeout, so in-flight requests finish.
TERMINATION_GRACE_MARGIN_SECONDS = 5


def _metadata_annotations(version: VersionSpec) -> dict[str, str]:
    annotations = {"model-endpoints.io/role": version.role}
    if version.description:
        annotations["model-endpoints.io/description"] = version.description
    if version.tags:
        annotations["model-endpoints.io/tags"] = json.dumps(version.tags, sort_keys=True)
    if version.properties:
        annotations["model-endpoints.io/properties"] = json.dumps(version.properties, sort_keys=True)
    return annotations


def collect_script_text() -> str:
    """The model data collection wrapper, `scoring/collect.py`, as installed with this package."""
    return importlib.resources.files("scoring").joinpath("collect.py").read_text(encoding="utf-8")


def _collects_from_script(version: VersionSpec) -> bool:
    return version.collect_model_data and version.inference_config is not None


def _mounted_entry_script(version: VersionSpec, code_dir: str = CODE_MOUNT_PATH) -> str:
    config = version.inference_config
    assert config is not None
    return posixpath.join(code_dir, posixpath.basename(config.entry_script))


def code_files(version: VersionSpec, entry_script_text: str) -> dict[str, str]:
    """The files an inference-config version mounts: its entry script and requirements, and the
    model data collection wrapper when the version collects."""
    config = version.inference_config
    if config is None:
        return {}
    files = {
        posixpath.basename(config.entry_script): entry_script_text,
        "requirements.txt": "".join(f"{line}\n" for line in config.requirements),
    }
    if _collects_from_script(version):
        files[COLLECT_SCRIPT_NAME] = collect_script_text()
    return files


def code_digest(code: Mapping[str, str]) -> str:
    """SHA-256 (hex) of a version's code files: the pods' `code-sha256` annotation, and the tail
    of the code ConfigMap's name."""
    return hashlib.sha256(json.dumps(dict(code), sort_keys=True).encode()).hexdigest()


def code_config_map_name(endpoint: EndpointSpec, version: VersionSpec, code: Mapping[str, str]) -> str:
    """`<endpoint>-<version>-code-<10 hex of the code's digest>`: named by its content, so new
    code is a new ConfigMap (Pulumi creates it, then deletes the old one once the update is
    done). Pods still running the old template keep the old files while a Deployment rolls or
    while a blue/green replacement's green pods (which mount the new one) take traffic."""
    return f"{object_name(endpoint.name, version.name)}-code-{code_digest(code)[:10]}"


def code_config_map(
    endpoint: EndpointSpec, version: VersionSpec, entry_script_text: str
) -> dict[str, Any]:
    """ConfigMap with the scoring script and requirements of an inference-config version (and
    the collection wrapper, see `code_files`), named by its content (`code_config_map_name`)."""
    files = code_files(version, entry_script_text)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": code_config_map_name(endpoint, version, files),
            "namespace": endpoint.effective_namespace,
            "labels": version_labels(endpoint.name, version.name),
        },
        "data": files,
    }


def install_command(code_dir: str = CODE_MOUNT_PATH, site_dir: str = SITE_MOUNT_PATH) -> list[str]:
    """The init container's command: Azure ML's inference server and the mounted
    requirements.txt, installed with the base image's pip into `site_dir` (a volume)."""
    return [
        "/bin/sh",
        "-c",
        "pip install --no-cache-dir --disable-pip-version-check --no-warn-script-location "
        f"--target {site_dir} '{INFERENCE_SERVER_REQUIREMENT}' -r {code_dir}/requirements.txt",
    ]


def scoring_command(
    version: VersionSpec, code_dir: str = CODE_MOUNT_PATH, site_dir: str = SITE_MOUNT_PATH
) -> list[str]:
    """The model container's command: the inference server installed in `site_dir` (found
    through PYTHONPATH), serving the mounted entry script; with collect_model_data, it serves the
    collection wrapper, which loads the entry script."""
    script = (
        posixpath.join(code_dir, COLLECT_SCRIPT_NAME)
        if _collects_from_script(version)
        else _mounted_entry_script(version, code_dir)
    )
    return [
        "/bin/sh",
        "-c",
        f"exec {site_dir}/bin/azmlinfsrv --entry_script {script} --port {version.port}",
    ]


def _resources(
    version: VersionSpec, pool: NodePoolSpec | None, *, accelerators: bool = True
) -> dict[str, Any]:
    requests: dict[str, str] = {
        "cpu": cpu_quantity(version.cpu_cores),
        "memory": memory_quantity(version.memory_gb),
    }
    limits: dict[str, str] = {}
    if version.cpu_cores_limit is not None:
        limits["cpu"] = cpu_quantity(version.cpu_cores_limit)
    if version.memory_gb_limit is not None:
        limits["memory"] = memory_quantity(version.memory_gb_limit)
    accelerator = accelerator_request(version, pool) if accelerators else None
    if accelerator is not None:
        # Extended resources cannot be overcommitted: request and limit must be equal.
        requests[accelerator.resource] = str(accelerator.count)
        limits[accelerator.resource] = str(accelerator.count)
    return {"requests": requests, **({"limits": limits} if limits else {})}


def _probe(version: VersionSpec, *, liveness: bool) -> dict[str, Any]:
    return {
        "httpGet": {"path": version.health_path, "port": "http"},
        # Liveness waits out the seed's start-up delay; readiness starts at once so a replica
        # takes traffic as soon as it answers.
        "initialDelaySeconds": version.initial_delay_seconds if liveness else 0,
        "periodSeconds": version.period_seconds,
        "timeoutSeconds": version.timeout_seconds,
        # Kubernetes requires successThreshold 1 on liveness probes.
        "successThreshold": 1 if liveness else version.success_threshold,
        "failureThreshold": version.failure_threshold,
    }


def _model_container_resources(version: VersionSpec, pool: NodePoolSpec | None) -> dict[str, Any]:
    resources = _resources(version, pool)
    if any(model.kind != "pvc" for model in version.models):
        # The fetched models' emptyDir counts against the pod's ephemeral storage: ask for it.
        resources["requests"]["ephemeral-storage"] = models_disk_quantity(version.models_disk_gb)
    return resources


def _container(version: VersionSpec, pool: NodePoolSpec | None) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": CONTAINER_NAME,
        "image": version.image or version.inference_config.base_image,  # type: ignore[union-attr]
        "ports": [{"name": "http", "containerPort": version.port, "protocol": "TCP"}],
        "resources": _model_container_resources(version, pool),
        "livenessProbe": _probe(version, liveness=True),
        "readinessProbe": _probe(version, liveness=False),
    }
    env = [{"name": key, "value": value} for key, value in sorted(version.env.items())]
    env += model_environment(version)
    if version.collect_model_data:
        env.append({"name": "MODEL_ENDPOINTS_COLLECT_MODEL_DATA", "value": "true"})
    if _collects_from_script(version):
        # The wrapper's settings (scoring/collect.py); no data file, so the lines go to stdout.
        env.append({"name": "MODEL_ENDPOINTS_ENTRY_SCRIPT", "value": _mounted_entry_script(version)})
        env.append({"name": "MODEL_ENDPOINTS_VERSION", "value": version.name})
    if env:
        container["env"] = env
    if version.inference_config is not None:
        container["command"] = scoring_command(version)
        env.insert(0, {"name": "PYTHONPATH", "value": SITE_MOUNT_PATH})
        container["env"] = env
        container["volumeMounts"] = [
            {"name": "code", "mountPath": CODE_MOUNT_PATH, "readOnly": True},
            {"name": "site", "mountPath": SITE_MOUNT_PATH, "readOnly": True},
        ]
    if version.models:
        container["volumeMounts"] = [*container.get("volumeMounts", []), *model_mounts(version)]
    return container


def _install_container(version: VersionSpec, pool: NodePoolSpec | None) -> dict[str, Any]:
    """Installs what the model container runs; the version's CPU and memory, no accelerator
    (the pod's request is the larger of this and the model container's, so it adds nothing)."""
    config = version.inference_config
    assert config is not None
    return {
        "name": INSTALL_CONTAINER_NAME,
        "image": config.base_image,
        "command": install_command(),
        "resources": _resources(version, pool, accelerators=False),
        "volumeMounts": [
            {"name": "code", "mountPath": CODE_MOUNT_PATH, "readOnly": True},
            {"name": "site", "mountPath": SITE_MOUNT_PATH},
        ],
    }


def _rolling_update_policy(endpoint: EndpointSpec) -> RollingUpdatePolicy | None:
    config = endpoint.deployment_config
    return config.rolling_update_policy if config is not None else None


def deployment(
    endpoint: EndpointSpec,
    version: VersionSpec,
    pool: NodePoolSpec | None,
    code: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The version's Deployment. Without `replicas` when autoscaled, so `up` never resets the
    count the autoscaler chose; its rollout fields from the endpoint's rolling_update_policy
    (`components.manifests.rolling_update`)."""
    name = object_name(endpoint.name, version.name)
    labels = version_labels(endpoint.name, version.name)
    pod_annotations: dict[str, str] = {}
    if code:
        pod_annotations["model-endpoints.io/code-sha256"] = code_digest(code)  # new code rolls the pods
    pod_spec: dict[str, Any] = {
        "containers": [_container(version, pool)],
        "terminationGracePeriodSeconds": math.ceil(version.scoring_timeout_ms / 1000)
        + TERMINATION_GRACE_MARGIN_SECONDS,
    }
    if pool is not None:
        pod_spec["nodeSelector"] = pool.node_selector
        tolerations = [
            {"key": t.key, "operator": "Equal", "value": t.value, "effect": t.effect}
            if t.value
            else {"key": t.key, "operator": "Exists", "effect": t.effect}
            for t in pool.effective_taints
        ]
        if tolerations:
            pod_spec["tolerations"] = tolerations
    fetch_resources = _resources(version, pool, accelerators=False)
    init_containers = [
        *fetch_containers(version, fetch_resources),
        *verify_containers(version, fetch_resources),
    ]
    volumes = model_volumes(version)
    if version.inference_config is not None:
        init_containers.append(_install_container(version, pool))
        volumes = [
            {"name": "code", "configMap": {"name": code_config_map_name(endpoint, version, code or {})}},
            {"name": "site", "emptyDir": {}},
            *volumes,
        ]
    if init_containers:
        pod_spec["initContainers"] = init_containers
    if volumes:
        pod_spec["volumes"] = volumes
    if version.service_account_name is not None:
        pod_spec["serviceAccountName"] = version.service_account_name
    spec: dict[str, Any] = {
        "selector": {"matchLabels": version_selector(endpoint.name, version.name)},
        # How a changed template rolls: the endpoint's rolling_update_policy, or one at a time.
        **rollout_fields(_rolling_update_policy(endpoint)),
        "template": {
            "metadata": {"labels": labels, **({"annotations": pod_annotations} if pod_annotations else {})},
            "spec": pod_spec,
        },
    }
    if not version.autoscaled:
        spec["replicas"] = version.num_replicas
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": endpoint.effective_namespace,
            "labels": labels,
            "annotations": _metadata_annotations(version),
        },
        "spec": spec,
    }
