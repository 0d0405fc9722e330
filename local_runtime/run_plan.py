"""The planner's output as plain frozen dataclasses: the processes of a local run and its routers.

`plan_local_run` (local_runtime.planner) makes them from a stack spec; `local_runtime.launch` starts
what they describe. Paths and ports only: nothing here touches a file, a socket or a process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from local_runtime.run_directory import RunLayout
from router.model import RouterConfig
from router_agent.status_server import ROUTING_PATH
from specification.endpoint import EndpointSpec
from specification.routing import RoutingTable

__all__ = [
    "LOOPBACK",
    "EndpointPlan",
    "LocalPlan",
    "ModelPlan",
    "ReplicaPlan",
    "SkippedVersion",
    "replica_name",
]

LOOPBACK = "127.0.0.1"


def replica_name(endpoint: str, version: str, index: int, generation: int = 1) -> str:
    """`shop-va-1` for `local up`'s replicas; `shop-va-g2-1` for those of a replacement."""
    if generation == 1:
        return f"{endpoint}-{version}-{index}"
    return f"{endpoint}-{version}-g{generation}-{index}"


@dataclass(frozen=True)
class ReplicaPlan:
    """One inference server process: `serve_local.py --entry_script <entry_script> --port <port>`
    with the working directory `app_root` and `env` added to the environment."""

    endpoint: str
    version: str
    index: int  # 1-based, as the router's servers r1, r2, ...
    port: int
    entry_script: Path  # what the server loads: the user's script, or the collection wrapper
    user_script: Path
    app_root: Path
    requirements: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    health_path: str = "/"
    # 1 for the replicas `local up` starts; each blue/green replacement of the version by
    # `local apply` starts the next generation (green) beside the current one (blue)
    generation: int = 1

    @property
    def name(self) -> str:
        return replica_name(self.endpoint, self.version, self.index, self.generation)

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"


@dataclass(frozen=True)
class ModelPlan:
    """One model of a version: read from `local_path` (a local path or file://), or fetched from
    `source` into the model cache; linked at `link` (`<run>/models/<endpoint>/<version>/<name>/
    <model version>`) under the replicas' AZUREML_MODEL_DIR."""

    endpoint: str
    version: str
    name: str
    model_version: str
    source: str  # the model's local_uri, else its uri
    local_path: Path | None
    sha256: str | None
    link: Path

    @property
    def label(self) -> str:
        return (
            f"model {self.name}:{self.model_version} of version {self.version} of endpoint "
            f"{self.endpoint}"
        )


@dataclass(frozen=True)
class SkippedVersion:
    """A version that cannot run locally (declared only with an image)."""

    endpoint: str
    version: str
    image: str
    traffic_percentile: float


@dataclass(frozen=True)
class EndpointPlan:
    """One endpoint's router and replicas. `local_spec` is the spec without skipped versions;
    `routing` its routing table (what the router splits by)."""

    spec: EndpointSpec
    local_spec: EndpointSpec
    routing: RoutingTable
    port: int
    metrics_port: int
    replicas: tuple[ReplicaPlan, ...]
    router: RouterConfig
    router_dir: Path
    public_key_path: Path | None
    skipped: tuple[SkippedVersion, ...] = ()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def traffic(self) -> dict[str, float]:
        """Each version's effective share in percent, as the router splits."""
        return self.routing.traffic

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/score"

    @property
    def metrics_url(self) -> str:
        return f"http://{LOOPBACK}:{self.metrics_port}/metrics"

    @property
    def routing_url(self) -> str:
        """The revision the router applied, read through its metrics port (the routing agent)."""
        return f"http://{LOOPBACK}:{self.metrics_port}{ROUTING_PATH}"

    @property
    def routing_dir(self) -> Path:
        return Path(self.router.routing_dir)

    @property
    def agent_port(self) -> int:
        return self.router.agent_port

    @property
    def router_cfg_path(self) -> Path:
        return self.router_dir / "haproxy.cfg"

    def replicas_of(self, version: str) -> tuple[ReplicaPlan, ...]:
        return tuple(replica for replica in self.replicas if replica.version == version)


@dataclass(frozen=True)
class LocalPlan:
    """Everything `local up` starts for one stack."""

    stack: str
    layout: RunLayout
    endpoints: tuple[EndpointPlan, ...]
    skipped: tuple[SkippedVersion, ...] = ()  # every version that cannot run locally
    skipped_endpoints: tuple[str, ...] = ()  # endpoints all of whose versions were skipped
    models: tuple[ModelPlan, ...] = ()  # every model of the versions that run

    @property
    def replicas(self) -> tuple[ReplicaPlan, ...]:
        return tuple(replica for endpoint in self.endpoints for replica in endpoint.replicas)

    def requirement_sets(self) -> tuple[tuple[str, ...], ...]:
        """The distinct requirement lists, in first-use order: one virtualenv each."""
        return tuple(dict.fromkeys(replica.requirements for replica in self.replicas))

    def listening_ports(self) -> list[tuple[int, str]]:
        """`(port, what listens there)` for every port of the run."""
        ports: list[tuple[int, str]] = []
        for endpoint in self.endpoints:
            ports.append((endpoint.port, f"scoring port of endpoint {endpoint.name}"))
            ports.append((endpoint.metrics_port, f"metrics port of endpoint {endpoint.name}"))
            ports.append((endpoint.agent_port, f"routing agent port of endpoint {endpoint.name}"))
            ports += [(r.port, f"replica {r.name}") for r in endpoint.replicas]
        return ports
