"""A local router's routing agent: the command `up` runs, the routing directory it writes, and how
`up` fails when the agent does not come up."""

from __future__ import annotations

import stat
import subprocess
import sys
from itertools import count
from pathlib import Path

import pytest

from credentials.endpoint_credentials import new_endpoint_credentials
from local_runtime.errors import RouterStartError
from local_runtime.planner import plan_local_run
from local_runtime.readiness import wait_for_routing
from local_runtime.routing_agent import (
    INITIAL_REVISION,
    agent_argv,
    agent_package_root,
    write_routing_table,
)
from local_runtime.run_directory import RunLayout
from local_runtime.run_plan import EndpointPlan
from router_agent.command_line import parse_arguments
from router_agent.routing_dir import read_generation
from specification.stack import StackSpec
from specification.stack_config import LoadedStack


def _endpoint(run_dir: Path) -> EndpointPlan:
    spec = StackSpec.model_validate(
        {
            "endpoints": [
                {
                    "name": "ep",
                    "versions": [
                        {"name": "v1", "inference_config": {"entry_script": "models/v1.py"}},
                        {"name": "v2", "traffic_percentile": 25,
                         "inference_config": {"entry_script": "models/v2.py"}},
                    ],
                }
            ]
        }
    )
    stack = LoadedStack("dev", Path("/src/Pulumi.dev.yaml"), Path("/src"), spec)
    plan = plan_local_run(
        stack,
        {e.name: new_endpoint_credentials(e) for e in spec.endpoints},
        layout=RunLayout(run_dir),
        scoring_port=8080,
        ports=count(20000),
        collect_script=None,
        socket_fallback_dir=Path("/tmp"),
    )
    return plan.endpoints[0]


def test_the_agent_runs_on_the_standard_library_beside_its_router() -> None:
    endpoint = _endpoint(Path("/runs/dev"))
    argv = agent_argv(endpoint, python="/usr/bin/python3")
    assert argv[:4] == ["/usr/bin/python3", "-S", "-m", "router_agent"]
    options = parse_arguments(argv[4:])
    assert options.routing_dir == Path("/runs/dev/router/ep/routing")
    assert options.map_path == "/runs/dev/router/ep/routing/split.map"
    assert options.map_path in endpoint.router.haproxy_cfg  # the map HAProxy reads
    assert options.admin_socket == endpoint.router.admin_socket
    assert (options.host, options.port) == ("127.0.0.1", endpoint.agent_port)
    assert (agent_package_root() / "router_agent" / "__main__.py").is_file()


def test_the_routing_directory_is_private_and_holds_the_initial_table(tmp_path: Path) -> None:
    endpoint = _endpoint(tmp_path / "run")
    target = write_routing_table(endpoint, INITIAL_REVISION)
    generation = read_generation(endpoint.routing_dir, ["split.map", "revision"])
    assert generation.target == target
    assert generation.files == {"split.map": endpoint.router.split_map, "revision": "1\n"}
    assert "0:7499 be_v1\n7500:9999 be_v2\n" in generation.files["split.map"]
    for path in (endpoint.routing_dir, endpoint.routing_dir / target):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    assert stat.S_IMODE((endpoint.routing_dir / "split.map").stat().st_mode) == 0o600


def test_an_agent_that_exits_fails_up_with_its_output(tmp_path: Path) -> None:
    endpoint = _endpoint(tmp_path / "run")
    log = tmp_path / "agent.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-c", "import sys; print('cannot listen: port taken'); sys.exit(1)"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    process.wait(timeout=30)
    with pytest.raises(RouterStartError, match="routing agent of endpoint ep exited") as error:
        wait_for_routing(endpoint, process, log, 5.0, INITIAL_REVISION)
    assert "cannot listen: port taken" in str(error.value)
