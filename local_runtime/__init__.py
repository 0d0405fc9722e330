"""Local mode: a stack's whole topology on one machine, on loopback, for debugging before deploying.

The same spec and the same router configuration as a cluster, with real inference servers: each
inference-config version runs Azure ML's `azmlinfsrv` (in a cached virtualenv built from its
requirements) as local processes, and Debian's HAProxy routes to them with the configuration
`router.render_router` renders for the cluster, with fixed replica addresses instead of DNS.

    state = start_local_run(UpRequest(stack="dev", config_file=..., run_dir=...))
    applied = apply_local_changes(ApplyRequest(stack="dev", config_file=..., run_dir=...))
    report = read_run_status(RunLayout(run_dir), "dev")
    stop_local_run(RunLayout(run_dir))

`plan_local_run` is the pure planner (spec in, processes and router config out); the rest does
the I/O: `project_files` (Pulumi.yaml and a stack's config file), `run_directory` (where a run's
files go), `run_ownership` (only directories `up` created are removed), `socket_dir` (the private
directory of admin sockets), `venvs` (cached virtualenvs), `process_control` (start, verify, stop;
`procfs` reads /proc for it), `child_environment` (the allowlisted environment of every process
started), `routing_agent` (each router's routing directory and the agent beside it), `readiness`
(waits), `run_record` (state.json, with `routing_record`: the live table and a shift in
progress), `status_report` (what `local status` shows), `key_files` (the keys `up` stores),
`run_credentials` (keys and tokens of a running run), `teardown`.

`local apply` is `local_apply` (one endpoint: `endpoint_shift`): `routing_change` tells a routing change from one that needs a
restart, `router_control` is the step engine's `RouterControl` over local routers,
`router_reload` re-renders and reloads a router whose default or control changes,
`alarm_sources` reads the alarms, `shift_recorder` keeps the run record in step with a shift,
`apply_lock` lets one apply run at a time, `apply_events` is what it reports.
"""

from __future__ import annotations

from local_runtime.errors import (
    AlreadyRunningError,
    ForeignRunDirectoryError,
    HAProxyMissingError,
    LocalRunError,
    NotRunningError,
    PortInUseError,
    ReplicaStartError,
    RouterStartError,
    VenvBuildError,
)
from local_runtime.launch import DEFAULT_SCORING_PORT, UpRequest, start_local_run
from local_runtime.local_apply import ApplyRequest, ShiftFailedError, apply_local_changes
from local_runtime.planner import plan_local_run
from local_runtime.project_files import find_project_dir, stack_config_path
from local_runtime.run_credentials import (
    choose_endpoint,
    live_run,
    local_api_keys,
    local_credentials,
    local_token,
)
from local_runtime.run_directory import RUNS_DIR_ENV, RunLayout, run_dir_for, runs_root
from local_runtime.run_plan import EndpointPlan, LocalPlan, ReplicaPlan
from local_runtime.run_record import RunState
from local_runtime.status_report import RunReport, read_run_status
from local_runtime.teardown import StopReport, stop_local_run
from local_runtime.venvs import venv_cache_dir

__all__ = [
    "DEFAULT_SCORING_PORT",
    "RUNS_DIR_ENV",
    "AlreadyRunningError",
    "ApplyRequest",
    "EndpointPlan",
    "ForeignRunDirectoryError",
    "HAProxyMissingError",
    "LocalPlan",
    "LocalRunError",
    "NotRunningError",
    "PortInUseError",
    "ReplicaPlan",
    "ReplicaStartError",
    "RouterStartError",
    "RunLayout",
    "RunReport",
    "RunState",
    "ShiftFailedError",
    "StopReport",
    "UpRequest",
    "VenvBuildError",
    "apply_local_changes",
    "choose_endpoint",
    "find_project_dir",
    "live_run",
    "local_api_keys",
    "local_credentials",
    "local_token",
    "plan_local_run",
    "read_run_status",
    "run_dir_for",
    "runs_root",
    "stack_config_path",
    "start_local_run",
    "stop_local_run",
    "venv_cache_dir",
]
