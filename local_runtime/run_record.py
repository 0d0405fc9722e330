"""The run's record, `state.json`: what one local run started, so `status`, `keys`, `get-token`
and `down` find it.

Written (mode 0600, atomically) before the first process starts and again after each one, so even
a `local up` that is killed half-way leaves a record `local down` can clean up from. It holds no
key: keys live in their own files (see `RunLayout`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from local_runtime.errors import LocalRunError
from local_runtime.private_files import write_private
from local_runtime.process_control import RecordedProcess
from local_runtime.routing_record import LiveRouting
from local_runtime.run_directory import RunLayout

__all__ = ["STATE_SCHEMA", "EndpointState", "ReplicaState", "RunState", "read_state", "write_state"]

STATE_SCHEMA = 1
RunStatus = Literal["starting", "running"]


@dataclass(frozen=True)
class ReplicaState:
    """One running replica; `generation` 1 is `local up`'s, a blue/green replacement's are the
    next (while both run, the higher one is green)."""

    name: str
    version: str
    port: int
    generation: int = 1

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "port": self.port,
            "generation": self.generation,
        }


@dataclass(frozen=True)
class EndpointState:
    """One endpoint of the run: where it listens and what it routes to.

    `spec` is the endpoint's spec as `local up` (or the last `local apply`) validated it, in JSON
    form, so `local apply` can tell a routing change from one that needs a restart; `routing`
    the table its router serves and its revision. `shift` (the traffic shift being walked, or
    left behind by a `local apply` that was killed) and `last_failure` (how the last shift
    failed) are kept as their JSON (`routing_record.LocalShift`,
    `rollout.shift_progress.LastFailure`), read by whoever needs them, so a malformed one is
    reported there and never makes the whole record unreadable. `agent_port` and
    `admin_socket` complete the router's site, so its configuration can be rendered again.
    `code_digests` (per version: the SHA-256 of the entry script the replicas run) lets `local
    apply` see a changed script under an unchanged path; `replacement` is a blue/green
    replacement of a version in flight (`{"version", "generation"}`), so a killed apply's green
    replicas are found and stopped. Runs recorded before these fields existed read them as
    empty."""

    name: str
    url: str
    port: int
    metrics_url: str
    traffic: dict[str, float]  # effective share per version that runs locally
    default_version: str
    auth_enabled: bool
    token_auth_enabled: bool
    replicas: tuple[ReplicaState, ...]
    skipped_versions: dict[str, str] = field(default_factory=dict)  # version -> image
    routing_url: str = ""  # GET: the revision the router applied ("" in a run from before)
    spec: dict[str, Any] | None = None
    routing: LiveRouting | None = None
    shift: dict[str, Any] | None = None
    last_failure: dict[str, Any] | None = None
    agent_port: int = 0
    admin_socket: str = ""
    code_digests: dict[str, str] = field(default_factory=dict)
    replacement: dict[str, Any] | None = None

    @property
    def metrics_port(self) -> int:
        """The router's metrics port (its `/metrics` and `/routing`)."""
        port = urlsplit(self.metrics_url).port
        if port is None:
            raise ValueError(f"metrics URL {self.metrics_url!r} names no port")
        return port

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "port": self.port,
            "metrics_url": self.metrics_url,
            "traffic": self.traffic,
            "default_version": self.default_version,
            "auth_enabled": self.auth_enabled,
            "token_auth_enabled": self.token_auth_enabled,
            "replicas": [replica.to_json() for replica in self.replicas],
            "skipped_versions": self.skipped_versions,
            "routing_url": self.routing_url,
            "spec": self.spec,
            "routing": None if self.routing is None else self.routing.to_json(),
            "shift": self.shift,
            "last_failure": self.last_failure,
            "agent_port": self.agent_port,
            "admin_socket": self.admin_socket,
            "code_digests": self.code_digests,
            "replacement": self.replacement,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EndpointState:
        return cls(
            name=data["name"],
            url=data["url"],
            port=int(data["port"]),
            metrics_url=data["metrics_url"],
            traffic={k: float(v) for k, v in data["traffic"].items()},
            default_version=data["default_version"],
            auth_enabled=bool(data["auth_enabled"]),
            token_auth_enabled=bool(data["token_auth_enabled"]),
            replicas=tuple(ReplicaState(**replica) for replica in data["replicas"]),
            skipped_versions=dict(data.get("skipped_versions") or {}),
            routing_url=str(data.get("routing_url") or ""),
            spec=data.get("spec"),
            routing=LiveRouting.from_json(data["routing"]) if data.get("routing") else None,
            shift=data.get("shift"),
            last_failure=data.get("last_failure"),
            agent_port=int(data.get("agent_port") or 0),
            admin_socket=str(data.get("admin_socket") or ""),
            code_digests={str(k): str(v) for k, v in (data.get("code_digests") or {}).items()},
            replacement=data.get("replacement"),
        )


@dataclass
class RunState:
    """The run of one stack. `marker` is the value of every started process's marker variable."""

    stack: str
    run_dir: str
    marker: str
    config_file: str
    started_at: str
    status: RunStatus = "starting"
    endpoints: dict[str, EndpointState] = field(default_factory=dict)
    processes: list[RecordedProcess] = field(default_factory=list)
    extra_files: list[str] = field(default_factory=list)  # outside the run dir (short sockets)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": STATE_SCHEMA,
            "stack": self.stack,
            "run_dir": self.run_dir,
            "marker": self.marker,
            "config_file": self.config_file,
            "started_at": self.started_at,
            "status": self.status,
            "endpoints": {name: e.to_json() for name, e in self.endpoints.items()},
            "processes": [process.to_json() for process in self.processes],
            "extra_files": self.extra_files,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunState:
        if data.get("schema") != STATE_SCHEMA:
            raise ValueError(f"unknown state schema {data.get('schema')!r}")
        return cls(
            stack=data["stack"],
            run_dir=data["run_dir"],
            marker=data["marker"],
            config_file=data["config_file"],
            started_at=data["started_at"],
            status=data["status"],
            endpoints={n: EndpointState.from_json(e) for n, e in data["endpoints"].items()},
            processes=[RecordedProcess.from_json(p) for p in data["processes"]],
            extra_files=list(data.get("extra_files") or []),
        )


def write_state(layout: RunLayout, state: RunState) -> None:
    write_private(layout.state_file, json.dumps(state.to_json(), indent=2) + "\n")


def read_state(layout: RunLayout) -> RunState | None:
    """The run's state; None when there is no run directory or no state file in it."""
    path: Path = layout.state_file
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise LocalRunError(f"cannot read {path}: {error.strerror}") from None
    try:
        return RunState.from_json(json.loads(text))
    except (ValueError, KeyError, TypeError) as error:
        raise LocalRunError(
            f"{path} is damaged ({error}); `model-endpoints local down --stack "
            f"{layout.root.name}` stops what carries the run's marker and removes the directory"
        ) from None
