"""Plan a local run: validated stack in, the processes to start and the router config out (pure).

Per endpoint: one inference-server replica per replica the version would have in a cluster at rest
(`num_replicas`, or `autoscale_min_replicas` when autoscaled), each on its own loopback port with
the version's environment; and the router built by the very builder the cluster uses
(`router.endpoint_router`: settings, auth material, the spec's routing table), with
`StaticReplicas` instead of DNS discovery, at a site on 127.0.0.1 in the run directory, its
routing table in a routing directory of its own and its routing agent on a loopback port, as in a
router pod. A version declared only with an
`image` cannot run here (no container engine): it is skipped, and its share goes where the spec
sends unclaimed traffic (the default version), or the plan fails, as the caller chooses.

No file is written and no socket or process touched (entry scripts are resolved, symbolic links
included, to keep them inside the stack's directory): ports come from the caller, paths from
`RunLayout`.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from credentials.endpoint_credentials import EndpointCredentials
from local_runtime.errors import LocalRunError
from local_runtime.run_directory import RunLayout
from local_runtime.run_plan import (
    LOOPBACK,
    EndpointPlan,
    LocalPlan,
    ModelPlan,
    ReplicaPlan,
    SkippedVersion,
)
from rollout.capacity import declared_fleet
from router.endpoint_router import JWT_KEY_FILE, RouterSite, render_endpoint_router
from router.model import StaticReplicas
from router.names import request_log_socket
from router_agent.safe_values import LOG_SOCKET_PATH_MAX
from specification.endpoint import EndpointSpec
from specification.models import model_dir, uri_kind
from specification.source_paths import OutsideStackDirError, resolve_in_stack_dir
from specification.stack_config import LoadedStack
from specification.version import VersionSpec

__all__ = [
    "COLLECT_DATA_FILE_ENV",
    "EndpointPlan",
    "LocalPlan",
    "MODEL_DIR_ENV",
    "ModelPlan",
    "OnImageVersion",
    "ReplicaPlan",
    "SkippedVersion",
    "code_digest",
    "script_digest",
    "local_endpoint_spec",
    "model_plans",
    "plan_local_run",
    "plan_version_replicas",
    "replica_count",
]

OnImageVersion = Literal["skip", "fail"]
ADMIN_SOCKET = "admin.sock"
_UNIX_SOCKET_PATH_MAX = 107
# Environment of the model data collection wrapper (scoring/collect.py).
COLLECT_ENTRY_SCRIPT_ENV = "MODEL_ENDPOINTS_ENTRY_SCRIPT"
COLLECT_VERSION_ENV = "MODEL_ENDPOINTS_VERSION"
COLLECT_DATA_FILE_ENV = "MODEL_ENDPOINTS_MODEL_DATA_FILE"
MODEL_DIR_ENV = "AZUREML_MODEL_DIR"


def replica_count(version: VersionSpec) -> int:
    """Replicas a version runs at rest: `num_replicas`, else `autoscale_min_replicas` (its
    declared fleet, the count a step size in pods is a share of: `rollout.declared_fleet`)."""
    return declared_fleet(version)


def _entry_script(version: VersionSpec, user_script: Path, collect_script: Path | None) -> Path:
    """The user's script, or the collection wrapper that serves it when collect_model_data is on."""
    if not version.collect_model_data:
        return user_script
    if collect_script is None:
        raise LocalRunError(
            f"version {version.name} has collect_model_data on, but no collection wrapper "
            "(scoring/collect.py) was given"
        )
    return collect_script


def _user_script(
    stack: LoadedStack, endpoint: EndpointSpec, version: VersionSpec, entry_script: str
) -> Path:
    """The entry script, symbolic links resolved, refused when that leaves the stack's directory."""
    try:
        return resolve_in_stack_dir(stack.source_dir, entry_script)
    except OutsideStackDirError as error:
        raise LocalRunError(
            f"version {version.name} of endpoint {endpoint.name}: inference_config.entry_script "
            f"{error}"
        ) from None


def _image_only_message(skipped: list[SkippedVersion]) -> str:
    names = ", ".join(f"{s.endpoint}/{s.version} (image {s.image})" for s in skipped)
    return (
        f"cannot run locally: {names}: declared only with a container image, and local mode has "
        "no container engine; give the version an inference_config to run it here"
    )


def _next_port(ports: Iterator[int], reserved: set[int]) -> int:
    for port in ports:
        if port not in reserved:
            reserved.add(port)
            return port
    raise LocalRunError("ran out of free ports on 127.0.0.1")


def _local_spec(spec: EndpointSpec, kept: list[VersionSpec]) -> EndpointSpec:
    data = spec.model_dump()
    data["versions"] = [version.model_dump() for version in kept]
    return EndpointSpec.model_validate(data)


def local_endpoint_spec(spec: EndpointSpec) -> EndpointSpec | None:
    """`spec` as it runs locally: without the versions declared only with an image (their share
    goes where unclaimed traffic goes), `spec` itself when it has none; None when no version
    can run locally. Its `routing` is the table a local router serves."""
    kept = [v for v in spec.versions if v.inference_config is not None]
    if not kept:
        return None
    return spec if len(kept) == len(spec.versions) else _local_spec(spec, kept)


def model_plans(
    stack: LoadedStack,
    layout: RunLayout,
    endpoint: EndpointSpec,
    version: VersionSpec,
    generation: int = 1,
) -> list[ModelPlan]:
    """Where each model of `version` is read from locally (`local_uri`, else `uri`), and where
    its replicas of `generation` find it (`RunLayout.models_dir`)."""
    plans = []
    for number, model in enumerate(version.models):
        source = model.local_uri or model.uri
        kind = uri_kind(source)
        if kind == "pvc":
            raise LocalRunError(
                f"version {version.name} of endpoint {endpoint.name}: models[{number}].uri "
                f"{source!r} is a claim in a cluster, which cannot be read locally; give the "
                "model a local_uri (a local copy, or a URI local up can fetch)"
            )
        local_path: Path | None = None
        if kind == "file":
            local_path = Path(urlsplit(source).path)
        elif kind == "local":
            local_path = stack.source_dir / source  # relative to the stack's directory
        plans.append(
            ModelPlan(
                endpoint=endpoint.name,
                version=version.name,
                name=model.name,
                model_version=model.version,
                source=source,
                local_path=local_path,
                sha256=model.sha256,
                link=layout.models_dir(endpoint.name, version.name, generation) / model.relative_dir,
            )
        )
    return plans


def _replica_env(
    layout: RunLayout,
    endpoint: EndpointSpec,
    version: VersionSpec,
    user_script: Path,
    qualified_data_files: bool,
    generation: int = 1,
) -> dict[str, str]:
    env = {"AML_APP_ROOT": str(user_script.parent), **version.env}
    if version.models:
        env[MODEL_DIR_ENV] = model_dir(
            version.models, str(layout.models_dir(endpoint.name, version.name, generation))
        )
    if version.collect_model_data:
        data_file = layout.model_data_file(
            endpoint.name, version.name, qualified=qualified_data_files
        )
        env[COLLECT_ENTRY_SCRIPT_ENV] = str(user_script)
        env[COLLECT_VERSION_ENV] = version.name
        env[COLLECT_DATA_FILE_ENV] = str(data_file)
    return env


def plan_version_replicas(
    stack: LoadedStack,
    endpoint: EndpointSpec,
    version: VersionSpec,
    *,
    layout: RunLayout,
    next_port: Callable[[], int],
    collect_script: Path | None,
    qualified_data_files: bool,
    generation: int = 1,
    numbers: Iterable[int] | None = None,
) -> list[ReplicaPlan]:
    """The replicas of one inference-config version (`replica_count` of them, numbered from 1, or
    those `numbers`), each on a port from `next_port`; `generation` above 1 for the new replicas
    of a blue/green replacement, which may start fewer and add the next numbers later."""
    config = version.inference_config
    assert config is not None, "only inference-config versions run locally"
    user_script = _user_script(stack, endpoint, version, config.entry_script)
    env = _replica_env(layout, endpoint, version, user_script, qualified_data_files, generation)
    return [
        ReplicaPlan(
            endpoint=endpoint.name,
            version=version.name,
            index=number,
            port=next_port(),
            entry_script=_entry_script(version, user_script, collect_script),
            user_script=user_script,
            app_root=user_script.parent,
            requirements=tuple(config.requirements),
            env=env,
            health_path=version.health_path,
            generation=generation,
        )
        for number in (numbers if numbers is not None else range(1, replica_count(version) + 1))
    ]


def script_digest(path: Path) -> str:
    """SHA-256 (hex) of an entry script's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def code_digest(stack: LoadedStack, endpoint: EndpointSpec, version: VersionSpec) -> str:
    """SHA-256 of the entry script an inference-config version serves (the file's bytes): a
    changed script under an unchanged path is a changed serving definition."""
    config = version.inference_config
    assert config is not None, "only inference-config versions run locally"
    path = _user_script(stack, endpoint, version, config.entry_script)
    try:
        return script_digest(path)
    except OSError as error:
        raise LocalRunError(
            f"version {version.name} of endpoint {endpoint.name}: cannot read "
            f"inference_config.entry_script {path}: {error.strerror}"
        ) from None


def _fits(admin_socket: str) -> bool:
    """Whether the admin socket and the request log socket beside it are short enough (HAProxy
    takes a shorter path for a log socket than the kernel for a socket)."""
    return (
        len(admin_socket.encode()) <= _UNIX_SOCKET_PATH_MAX
        and len(request_log_socket(admin_socket).encode()) <= LOG_SOCKET_PATH_MAX
    )


def _admin_socket(router_dir: Path, socket_fallback_dir: Path) -> str:
    path = str(router_dir / ADMIN_SOCKET)
    if _fits(path):
        return path
    # A UNIX socket path is limited to 107 bytes, and HAProxy's log socket (the request log
    # beside it) to 97; a deep run directory gets short ones in the user's private socket
    # directory instead, named after the directory so that two runs never share one.
    digest = hashlib.sha256(path.encode()).hexdigest()[:16]
    short = str(socket_fallback_dir / f"{digest}.sock")
    if not _fits(short):
        raise LocalRunError(
            f"the router's admin socket fits neither in the run directory ({path}) nor in "
            f"{socket_fallback_dir} ({short}): a UNIX socket path holds at most "
            f"{_UNIX_SOCKET_PATH_MAX} bytes, and HAProxy takes at most {LOG_SOCKET_PATH_MAX} for "
            f"the request log socket beside it ({request_log_socket(short)}); set TMPDIR or "
            "MODEL_ENDPOINTS_RUN_DIR to a shorter path"
        )
    return short


def plan_local_run(
    stack: LoadedStack,
    credentials: Mapping[str, EndpointCredentials],
    *,
    layout: RunLayout,
    scoring_port: int,
    ports: Iterator[int],
    collect_script: Path | None,
    socket_fallback_dir: Path,
    on_image_version: OnImageVersion = "skip",
) -> LocalPlan:
    """Plan the run of `stack`.

    Endpoint `i` (in config order) listens on `scoring_port + i`; metrics, routing agent and replica
    ports are drawn from `ports` (skipping the scoring ports). `credentials` must hold every
    endpoint's; `collect_script` (scoring/collect.py) is the entry script of `collect_model_data`
    versions; `socket_fallback_dir` (the user's private socket directory) holds router admin sockets
    whose path in the run directory is too long. Raises LocalRunError when image-only versions exist
    and `on_image_version` is "fail", when no version of the stack can run locally, when an entry
    script resolves outside the stack's directory, or when a path cannot go into the router config.
    """
    endpoints = stack.spec.endpoints
    reserved = {scoring_port + index for index in range(len(endpoints))}
    image_only = [
        SkippedVersion(e.name, v.name, v.image or "", v.traffic_percentile)
        for e in endpoints
        for v in e.versions
        if v.inference_config is None
    ]
    if image_only and on_image_version == "fail":
        raise LocalRunError(
            _image_only_message(image_only) + " (or run with --on-image-version skip)"
        )
    if len(image_only) == sum(len(e.versions) for e in endpoints):
        raise LocalRunError(
            _image_only_message(image_only) + "; no version of the stack is left to run"
        )
    collected = Counter(
        v.name for e in endpoints for v in e.versions if v.collect_model_data and v.inference_config
    )

    plans: list[EndpointPlan] = []
    models: list[ModelPlan] = []
    skipped_endpoints: list[str] = []
    for index, endpoint in enumerate(endpoints):
        kept = [v for v in endpoint.versions if v.inference_config is not None]
        skipped = tuple(s for s in image_only if s.endpoint == endpoint.name)
        local_spec = local_endpoint_spec(endpoint)
        if local_spec is None:
            skipped_endpoints.append(endpoint.name)
            continue
        replicas: list[ReplicaPlan] = []
        for version in kept:
            models += model_plans(stack, layout, endpoint, version)
            replicas += plan_version_replicas(
                stack,
                endpoint,
                version,
                layout=layout,
                next_port=lambda: _next_port(ports, reserved),
                collect_script=collect_script,
                qualified_data_files=collected[version.name] > 1,
            )
        router_dir = layout.router_dir(endpoint.name)
        public_key_path = router_dir / JWT_KEY_FILE if endpoint.token_auth_enabled else None
        port, metrics_port = scoring_port + index, _next_port(ports, reserved)
        agent_port = _next_port(ports, reserved)
        static = {
            version.name: StaticReplicas(
                tuple(r.address for r in replicas if r.version == version.name)
            )
            for version in kept
        }
        hashes = credentials[endpoint.name].key_hashes()
        if endpoint.auth_enabled and hashes is None:
            raise LocalRunError(f"endpoint {endpoint.name}: auth_enabled is true but no keys were made")
        site = RouterSite(
            map_dir=str(router_dir),
            routing_dir=str(layout.routing_dir(endpoint.name)),
            admin_socket=_admin_socket(router_dir, socket_fallback_dir),
            port=port,
            metrics_port=metrics_port,
            agent_port=agent_port,
            bind_address=LOOPBACK,
            request_log=local_spec.router.request_times,
        )
        try:
            router = render_endpoint_router(local_spec, local_spec.routing, static, hashes, site)
        except ValueError as error:
            raise LocalRunError(
                f"endpoint {endpoint.name}: cannot render its router: {error}. A run directory "
                "path with spaces or other special characters cannot go into the router config: "
                "set MODEL_ENDPOINTS_RUN_DIR to a plain path"
            ) from None
        plans.append(
            EndpointPlan(
                spec=endpoint,
                local_spec=local_spec,
                routing=local_spec.routing,
                port=port,
                metrics_port=metrics_port,
                replicas=tuple(replicas),
                router=router,
                router_dir=router_dir,
                public_key_path=public_key_path,
                skipped=skipped,
            )
        )
    return LocalPlan(
        stack=stack.name,
        layout=layout,
        endpoints=tuple(plans),
        skipped=tuple(image_only),
        skipped_endpoints=tuple(skipped_endpoints),
        models=tuple(models),
    )
