"""`local up`: plan the run, build virtualenvs, start replicas and routers, wait until all are up.

Everything that can fail without side effects is checked first (haproxy installed, not already
running, config valid, image-only versions, entry scripts present, the private socket directory,
ports free, virtualenvs built, models found or fetched and checked), then the run directory is created with a marker file and each
process is recorded in `state.json` as soon as it starts: the replicas, then per endpoint the router
(on its routing directory, written kubelet-style) and its routing agent. If anything fails after
that, or the user presses Ctrl-C, every process started so far is stopped and the run directory
removed before the error propagates: a failed `up` leaves nothing. A directory of the stack's name
that `up` did not create is refused, never read or removed (`run_ownership`).
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from credentials.endpoint_credentials import (
    EndpointCredentials,
    new_endpoint_credentials,
)
from local_runtime.child_environment import process_environment
from local_runtime.errors import AlreadyRunningError, LocalRunError, RouterStartError
from local_runtime.haproxy import check_router_config, haproxy_binary, router_argv
from local_runtime.key_files import write_credentials
from local_runtime.local_models import link_models, resolve_models
from local_runtime.model_cache import models_cache_dir
from local_runtime.planner import (
    COLLECT_DATA_FILE_ENV,
    OnImageVersion,
    plan_local_run,
    script_digest,
)
from local_runtime.ports import check_ports_free, free_ports
from local_runtime.private_files import make_private_dir, write_private
from local_runtime.process_control import is_running, marked_pids, start_process
from local_runtime.readiness import (
    StartingReplica,
    wait_for_replicas,
    wait_for_router,
    wait_for_routing,
)
from local_runtime.routing_agent import (
    INITIAL_REVISION,
    agent_argv,
    agent_package_root,
    write_routing_table,
)
from local_runtime.routing_record import LiveRouting
from local_runtime.run_directory import RunLayout
from local_runtime.run_ownership import check_created_by_local_up, mark_created_by_local_up
from local_runtime.run_plan import EndpointPlan, LocalPlan, ReplicaPlan
from local_runtime.run_record import (
    EndpointState,
    ReplicaState,
    RunState,
    read_state,
    write_state,
)
from local_runtime.socket_dir import default_socket_dir, ensure_socket_dir
from local_runtime.teardown import stop_local_run
from local_runtime.venvs import Venv, ensure_venv, venv_cache_dir
from router.checks import RouterFileError, check_required_files
from specification.stack import StackSpec
from specification.stack_config import load_stack

__all__ = ["DEFAULT_SCORING_PORT", "UpRequest", "scoring_helper", "start_local_run", "start_replica"]

DEFAULT_SCORING_PORT = 8080  # the router's port in a cluster too
_GUNICORN_CONTROL_SOCKET = (25, 1)  # gunicorn >= 25.1 opens ~/.gunicorn/gunicorn.ctl by default


@dataclass(frozen=True)
class UpRequest:
    """What `local up` was asked to do."""

    stack: str
    config_file: Path
    run_dir: Path
    scoring_port: int = DEFAULT_SCORING_PORT
    on_image_version: OnImageVersion = "skip"
    timeout: float = 120.0  # seconds for replicas (their init()) and routers to come up
    cache_dir: Path = field(default_factory=venv_cache_dir)
    models_cache_dir: Path = field(default_factory=models_cache_dir)  # fetched models
    # the private directory of admin sockets whose path in run_dir would be too long
    socket_dir: Path = field(default_factory=default_socket_dir)


def _ignore(message: str) -> None:
    pass


def scoring_helper(module: str) -> Path:
    """Path of a standalone file of the `scoring` package (run by path inside a virtualenv)."""
    spec = importlib.util.find_spec(f"scoring.{module}")
    if spec is None or spec.origin is None:
        raise LocalRunError(
            f"scoring/{module}.py is missing from this installation of model-endpoints"
        )
    return Path(spec.origin).resolve()


def _collect_script(spec: StackSpec) -> Path | None:
    """The model data collection wrapper, looked up only when a version collects."""
    wanted = any(v.collect_model_data for e in spec.endpoints for v in e.versions)
    return scoring_helper("collect") if wanted else None


def _refuse_if_running(layout: RunLayout, stack: str, say: Callable[[str], None]) -> None:
    check_created_by_local_up(layout)  # a directory of the user's is neither read nor removed
    state = read_state(layout)
    marker = state.marker if state else str(layout.root)
    alive = [p.name for p in state.processes if is_running(p, marker)] if state else []
    if alive or marked_pids(marker):
        where = ""
        if state and state.endpoints:
            where = " at " + ", ".join(e.url for e in state.endpoints.values())
        raise AlreadyRunningError(
            f"stack {stack} is already running locally{where} (run directory {layout.root}); "
            f"`model-endpoints local down --stack {stack}` stops it"
        )
    if layout.root.exists():
        stop_local_run(layout)
        say(f"removed the files of an earlier run of stack {stack} that is no longer running")


def _check_files(plan: LocalPlan) -> None:
    for replica in plan.replicas:
        if not replica.user_script.is_file():
            raise LocalRunError(
                f"version {replica.version} of endpoint {replica.endpoint}: entry script "
                f"{replica.user_script} does not exist"
            )


def _gunicorn_env(venv: Venv) -> dict[str, str]:
    """Turn off gunicorn's control socket, which every replica would share in the home dir."""
    try:
        major, minor = (int(part) for part in (venv.gunicorn_version or "0.0").split(".")[:2])
    except ValueError:
        return {}
    return (
        {"GUNICORN_CMD_ARGS": "--no-control-socket"}
        if (major, minor) >= _GUNICORN_CONTROL_SOCKET
        else {}
    )


def _endpoint_state(endpoint: EndpointPlan) -> EndpointState:
    return EndpointState(
        name=endpoint.name,
        url=endpoint.url,
        port=endpoint.port,
        metrics_url=endpoint.metrics_url,
        routing_url=endpoint.routing_url,
        traffic=dict(endpoint.traffic),
        default_version=endpoint.local_spec.default_version,
        auth_enabled=endpoint.spec.auth_enabled,
        token_auth_enabled=endpoint.spec.token_auth_enabled,
        replicas=tuple(
            ReplicaState(r.name, r.version, r.port, r.generation) for r in endpoint.replicas
        ),
        skipped_versions={s.version: s.image for s in endpoint.skipped},
        spec=endpoint.spec.model_dump(mode="json"),
        routing=LiveRouting(endpoint.routing, INITIAL_REVISION),
        agent_port=endpoint.agent_port,
        admin_socket=endpoint.router.admin_socket,
        code_digests={r.version: script_digest(r.user_script) for r in endpoint.replicas},
    )


def _write_router_files(endpoint: EndpointPlan, credentials: EndpointCredentials) -> None:
    for name, content in endpoint.router.map_files.items():
        write_private(endpoint.router_dir / name, content)
    write_routing_table(endpoint, INITIAL_REVISION)
    if endpoint.public_key_path is not None and credentials.public_key_pem is not None:
        write_private(endpoint.public_key_path, credentials.public_key_pem)
    write_private(endpoint.router_cfg_path, endpoint.router.haproxy_cfg)
    try:
        check_required_files(endpoint.router)  # fail closed: e.g. no JWT public key
    except RouterFileError as error:
        raise RouterStartError(f"router of endpoint {endpoint.name}: {error}") from None


def start_replica(
    replica: ReplicaPlan, venv: Venv, serve_local: Path, layout: RunLayout, state: RunState
) -> StartingReplica:
    """Start one inference-server replica in `venv` and record it in `state` (saved)."""
    argv = [
        str(venv.python),
        str(serve_local),
        "--entry_script",
        str(replica.entry_script),
        "--port",
        str(replica.port),
    ]
    env = process_environment(
        {**_gunicorn_env(venv), "PYTHONUNBUFFERED": "1", **replica.env}, state.marker
    )
    log_path = layout.replica_log(replica.name)
    record, process = start_process(
        replica.name, "replica", argv, env=env, cwd=replica.app_root, log_path=log_path
    )
    state.processes.append(record)
    write_state(layout, state)
    return StartingReplica(replica, process, log_path)


def _start_router(
    endpoint: EndpointPlan, binary: str, layout: RunLayout, state: RunState, timeout: float
) -> None:
    check_router_config(binary, endpoint.router_cfg_path)
    for socket_path in (endpoint.router.admin_socket, endpoint.router.request_log_socket):
        if socket_path is not None and layout.root not in Path(socket_path).parents:
            state.extra_files.append(socket_path)
    log_path = layout.router_log(endpoint.name)
    record, process = start_process(
        f"{endpoint.name}-router",
        "router",
        router_argv(binary, endpoint.router_cfg_path),
        env=process_environment({}, state.marker),
        cwd=endpoint.router_dir,
        log_path=log_path,
    )
    state.processes.append(record)
    write_state(layout, state)
    wait_for_router(endpoint, process, log_path, timeout)


def _start_routing_agent(
    endpoint: EndpointPlan, layout: RunLayout, state: RunState, timeout: float
) -> None:
    """The agent beside the router, with the router's environment; up once the router's metrics
    port reports the initial table's revision."""
    log_path = layout.agent_log(endpoint.name)
    record, process = start_process(
        f"{endpoint.name}-routing-agent",
        "routing-agent",
        agent_argv(endpoint),
        env=process_environment({}, state.marker),
        cwd=agent_package_root(),
        log_path=log_path,
    )
    state.processes.append(record)
    write_state(layout, state)
    wait_for_routing(endpoint, process, log_path, timeout, INITIAL_REVISION)


def _skip_messages(plan: LocalPlan) -> list[str]:
    messages = []
    for endpoint in plan.endpoints:
        for skipped in endpoint.skipped:
            messages.append(
                f"skipping {skipped.endpoint}/{skipped.version}: declared only with image "
                f"{skipped.image}, which cannot run locally; its {skipped.traffic_percentile:g}% "
                f"goes to {endpoint.local_spec.default_version}, the default version here"
            )
    for name in plan.skipped_endpoints:
        messages.append(f"skipping endpoint {name}: none of its versions can run locally")
    return messages


def _check_ports(plan: LocalPlan, *, chosen: bool) -> None:
    """The scoring ports (`chosen` by the user) or the others (picked free a moment ago)."""
    scoring = {e.port for e in plan.endpoints}
    if chosen:
        ports = [p for p in plan.listening_ports() if p[0] in scoring]
        check_ports_free(ports, "choose another with --port")
    else:
        ports = [p for p in plan.listening_ports() if p[0] not in scoring]
        check_ports_free(ports, "another program took it since it was picked; run `local up` again")


def _build_venvs(
    plan: LocalPlan, cache_dir: Path, say: Callable[[str], None], pip_line: Callable[[str], None]
) -> dict[tuple[str, ...], Venv]:
    venvs = {}
    for requirements in plan.requirement_sets():
        venv = ensure_venv(requirements, cache_dir, pip_line)
        listed = ", ".join(requirements) or "no extra requirements"
        if venv.reused:
            say(f"virtualenv for {listed}: reused {venv.path}")
        else:
            say(f"virtualenv for {listed}: built in {venv.build_seconds:.0f}s at {venv.path}")
        venvs[requirements] = venv
    return venvs


def _prepare_socket_dirs(plan: LocalPlan, layout: RunLayout) -> None:
    """Create (or check) the private directory of admin sockets kept outside the run directory."""
    for endpoint in plan.endpoints:
        admin_socket = Path(endpoint.router.admin_socket)
        if layout.root not in admin_socket.parents:
            ensure_socket_dir(admin_socket.parent)


def _new_run_dir(layout: RunLayout, stack: str) -> None:
    make_private_dir(layout.root.parent)
    try:
        layout.root.mkdir(mode=0o700)
    except FileExistsError:
        raise AlreadyRunningError(f"another `local up` of stack {stack} is starting") from None
    try:
        mark_created_by_local_up(layout, stack)  # what lets `down` remove it, and nothing else
    except BaseException:
        with contextlib.suppress(OSError):
            layout.root.rmdir()
        raise


def start_local_run(
    request: UpRequest,
    *,
    say: Callable[[str], None] = _ignore,
    pip_line: Callable[[str], None] = _ignore,
) -> RunState:
    """Start the stack's local run and return its state once every replica and router is up.

    `say` gets one line per step, `pip_line` each line pip prints while a virtualenv builds.
    Raises LocalRunError (AlreadyRunningError, PortInUseError, ReplicaStartError, ...), or
    StackConfigError for a config that cannot be read or is invalid, with nothing left running.
    """
    binary = haproxy_binary()
    layout = RunLayout(request.run_dir.resolve())
    _refuse_if_running(layout, request.stack, say)
    stack = load_stack(request.stack, request.config_file)
    credentials = {e.name: new_endpoint_credentials(e) for e in stack.spec.endpoints}
    plan = plan_local_run(
        stack,
        credentials,
        layout=layout,
        scoring_port=request.scoring_port,
        ports=free_ports(),
        collect_script=_collect_script(stack.spec),
        socket_fallback_dir=request.socket_dir,
        on_image_version=request.on_image_version,
    )
    for message in _skip_messages(plan):
        say(message)
    _check_files(plan)
    _prepare_socket_dirs(plan, layout)
    serve_local = scoring_helper("serve_local")
    _check_ports(plan, chosen=True)
    venvs = _build_venvs(plan, request.cache_dir, say, pip_line)
    models = resolve_models(
        plan.models,
        cache_dir=request.models_cache_dir,
        venv_cache_dir=request.cache_dir,
        say=say,
        pip_line=pip_line,
    )
    _check_ports(plan, chosen=False)

    _new_run_dir(layout, request.stack)
    state = RunState(
        stack=request.stack,
        run_dir=str(layout.root),
        marker=str(layout.root),
        config_file=str(stack.config_file),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        endpoints={e.name: _endpoint_state(e) for e in plan.endpoints},
    )
    try:
        write_state(layout, state)
        for endpoint_credentials in credentials.values():
            write_credentials(layout.keys_dir, endpoint_credentials)
        make_private_dir(layout.logs_dir)
        link_models(models)
        for data_file in {r.env.get(COLLECT_DATA_FILE_ENV) for r in plan.replicas} - {None}:
            write_private(Path(str(data_file)), "")  # the wrapper appends; the file stays 0600
        say(f"starting {len(plan.replicas)} inference server(s)")
        starting = [
            start_replica(r, venvs[r.requirements], serve_local, layout, state)
            for r in plan.replicas
        ]
        wait_for_replicas(
            starting,
            request.timeout,
            on_ready=lambda r: say(f"replica {r.name} answers on port {r.port}"),
        )
        for endpoint in plan.endpoints:
            _write_router_files(endpoint, credentials[endpoint.name])
            say(f"starting the router of endpoint {endpoint.name} on port {endpoint.port}")
            _start_router(endpoint, binary, layout, state, request.timeout)
            _start_routing_agent(endpoint, layout, state, request.timeout)
        state.status = "running"
        write_state(layout, state)
    except BaseException:
        stop_local_run(layout)
        raise
    return state
