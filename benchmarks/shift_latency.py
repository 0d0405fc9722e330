"""Shift latency: from a step's decision until every router serves its table, over 100 steps with
two routers under load, and the requests that failed meanwhile (there must be none).

Not a test (nothing is asserted): it prints the p50, p99 and maximum of the time from the moment
the step engine (`rollout.run_shift`) hands a step's table to the router control until every
router reports that revision on its `/routing`, split into writing the table and the routers
catching up, and the requests sent through both routers during the 100 steps: failed ones (a
transport error or a status other than 200) and ones answered by a version that no table ever
gave a share to (what a half-applied table would show).

    .venv/bin/python benchmarks/shift_latency.py [--steps 100] [--agent-poll 0.1] [--json]

The run's files (routing directories included) go to a temporary directory: set TMPDIR to
measure another filesystem (the project's disk, as a local run; /dev/shm, a tmpfs).

Two routers for one endpoint, as a cluster runs two router pods, each with its own routing
directory as each pod has its own ConfigMap volume: `local up` starts one router per endpoint,
so the benchmark starts two itself with the routers' test harness (the router rendered by the
real renderer on fast HAProxy echo backends, `tests/router/router_harness.py`) and the routing
agent as local mode runs it (`python -S -m router_agent`, polling every 0.1 s,
`tests/router_agent/agent_harness.py`). The steps go through the real step engine and the very
`LocalRouterControl` `local apply` uses, with no bake; the engine polls the routers every 5 ms,
which bounds the measurement's resolution. Everything binds 127.0.0.1 and is stopped at the end.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from local_runtime.router_control import LocalRouter, LocalRouterControl  # noqa: E402
from local_runtime.routing_agent import LOCAL_POLL_SECONDS  # noqa: E402
from rollout import PlannedStep, ShiftPolicy, SystemClock, run_shift  # noqa: E402
from router import AuthMaterial, StaticReplicas  # noqa: E402
from router.split import render_split_map  # noqa: E402
from specification import EndpointSpec, VersionSpec  # noqa: E402
from specification.routing import RoutingTable  # noqa: E402
from tests.router.router_harness import (  # noqa: E402
    HEALTH_PATH,
    EchoBackends,
    RouterProcess,
    run_load,
)
from tests.router_agent.agent_harness import AgentProcess, copy_agent_package  # noqa: E402

ROUTERS = 2
# v1 is the default but no table gives it a share: a request it answers came from a bucket no
# table sent anywhere else (a half-applied table)
VERSIONS = ("v1", "v2", "v3")
START = RoutingTable({"v1": 0, "v2": 5000, "v3": 5000}, "v1")


def _spec() -> EndpointSpec:
    return EndpointSpec(
        name="bench",
        auth_enabled=False,
        versions=[
            VersionSpec(
                name=name,
                image="example/model:1",
                health_path=HEALTH_PATH,
                period_seconds=1,
                is_default=name == "v1",
            )
            for name in VERSIONS
        ],
    )


def _steps(count: int) -> list[PlannedStep]:
    """`count` tables moving v2's share around (1%-99%, never repeating the previous one)."""
    steps = []
    for index in range(1, count + 1):
        v2 = ((index * 37) % 99 + 1) * 100
        table = RoutingTable({"v1": 0, "v2": v2, "v3": 10000 - v2}, "v1")
        steps.append(PlannedStep(table, 0, round(100 * index / count, 2)))
    return steps


class TimedControl:
    """`LocalRouterControl` with a stopwatch: per revision, when the engine decided it (apply
    called), when every routing directory had it, and the first poll where every router
    reported it.

    Steps without a bake would follow each other right after the agents' polls (the engine sees
    a step applied just after an agent polled, and writes the next at once), so every step would
    wait almost a whole poll interval. A real step is decided after a bake, at a moment unrelated
    to the agents' cycle: a random pause of up to one poll interval before each decision
    (`decorrelate`, seeded) restores that."""

    def __init__(self, control: LocalRouterControl, decorrelate: float) -> None:
        self.control = control
        self._decorrelate = decorrelate
        self._random = random.Random(20261201)
        self.decided: dict[int, float] = {}
        self.written: dict[int, float] = {}
        self.served: dict[int, float] = {}
        self._latest = 0

    def apply(self, table: RoutingTable, revision: int) -> None:
        time.sleep(self._random.uniform(0, self._decorrelate))
        self.decided[revision] = time.perf_counter()
        self.control.apply(table, revision)
        self.written[revision] = time.perf_counter()
        self._latest = revision

    def applied_revisions(self) -> list[int | None]:
        reported = self.control.applied_revisions()
        if self._latest not in self.served and all(r == self._latest for r in reported):
            self.served[self._latest] = time.perf_counter()
        return reported


class LoadProcess:
    """Keep-alive load on one router from a child process (this file with `--load-port`), so
    the load's threads never hold this process's GIL while it times the steps; it runs at a
    lower priority (nice 10), as clients would run on other machines. It runs until its stdin
    closes (bounded: 120 s) and then prints its counts as JSON."""

    def __init__(self, port: int, concurrency: int) -> None:
        self._process = subprocess.Popen(
            [sys.executable, __file__, "--load-port", str(port), "--concurrency", str(concurrency)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def finish(self) -> dict[str, Any]:
        stdout, _ = self._process.communicate(timeout=180)  # closes stdin: the load stops
        counts: dict[str, Any] = json.loads(stdout)
        return counts

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)


def _load_child(port: int, concurrency: int) -> int:
    """The `--load-port` mode: load until stdin closes, then one JSON line of counts."""
    os.nice(10)  # clients run elsewhere in real life: leave the routers and the engine the CPU
    stop = threading.Event()

    def wait_for_eof() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=wait_for_eof, daemon=True).start()
    result = run_load(port, 10_000_000, concurrency, timeout=120, stop=stop)
    print(
        json.dumps(
            {
                "requests": len(result.responses) + len(result.errors),
                "failures": result.failures,
                "served_by": {
                    name: sum(1 for r in result.responses if r.headers.get("x-served-by") == name)
                    for name in VERSIONS
                },
            }
        )
    )
    return 0


def _percentile(values: Sequence[float], percent: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, round(percent / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _summary(values: Sequence[float]) -> dict[str, float]:
    milliseconds = [1000 * value for value in values]
    return {
        "p50_ms": round(_percentile(milliseconds, 50), 1),
        "p99_ms": round(_percentile(milliseconds, 99), 1),
        "mean_ms": round(statistics.fmean(milliseconds), 1),
        "max_ms": round(max(milliseconds), 1),
    }


def run(steps: int, agent_poll: float, workdir: Path) -> dict[str, Any]:
    spec = _spec()
    echo = EchoBackends(workdir / "echo", VERSIONS)
    replicas = {name: StaticReplicas((echo.address(name),)) for name in VERSIONS}
    package = copy_agent_package(workdir / "sidecar")
    routers: list[RouterProcess] = []
    agents: list[AgentProcess] = []
    try:
        echo.start()
        for index in range(ROUTERS):
            router = RouterProcess(
                workdir / f"router{index}", spec, START, replicas, AuthMaterial()
            )
            router.write_routing(render_split_map(START), 1)
            routers.append(router.start())
            router.wait_healthy()
            agent = AgentProcess(package, router, workdir / f"agent{index}.log")
            agent.options = dataclasses.replace(agent.options, poll_seconds=agent_poll)
            agents.append(agent.start())
            agent.wait_for(1)
        control = TimedControl(
            LocalRouterControl([LocalRouter(r.routing_dir, r.metrics_port) for r in routers]),
            decorrelate=agent_poll,
        )
        loads = [LoadProcess(router.port, concurrency=4) for router in routers]
        try:
            time.sleep(1.0)  # the load is running before the first step
            began = time.perf_counter()
            result = run_shift(
                START,
                _steps(steps),
                start_revision=1,
                routers=control,
                clock=SystemClock(),
                policy=ShiftPolicy(poll_interval_seconds=0.005, rollback_timeout_seconds=30),
            )
            seconds = time.perf_counter() - began
            time.sleep(0.5)  # and still running after the last one
            results = [load.finish() for load in loads]
        finally:
            for load in loads:
                load.kill()
    finally:
        for agent in agents:
            agent.stop()
        for router in routers:
            router.stop()
        echo.stop()

    revisions = [timing.revision for timing in result.steps]
    decision_to_served = [control.served[r] - control.decided[r] for r in revisions]
    decision_to_written = [control.written[r] - control.decided[r] for r in revisions]
    failures = [failure for load in results for failure in load["failures"]]
    outside = sum(load["served_by"]["v1"] for load in results)
    return {
        "routers": ROUTERS,
        "steps": len(revisions),
        "agent_poll_seconds": agent_poll,
        "engine_poll_seconds": 0.005,
        "decision_to_served": _summary(decision_to_served),
        "decision_to_written": _summary(decision_to_written),
        "requests": sum(load["requests"] for load in results),
        "failed_requests": len(failures),
        "failures": failures[:5],
        "outside_every_table": outside,
        "seconds": round(seconds, 1),
    }


def _print(figures: dict[str, Any]) -> None:
    served, written = figures["decision_to_served"], figures["decision_to_written"]
    print(
        f"{figures['steps']} steps, {figures['routers']} routers, agents polling every "
        f"{figures['agent_poll_seconds']:g} s, engine polling every "
        f"{figures['engine_poll_seconds'] * 1000:g} ms, {figures['seconds']} s in all\n"
    )
    print("| measure | p50 ms | p99 ms | mean ms | max ms |")
    print("|---|---|---|---|---|")
    for label, values in (
        ("decision -> every router serves the step", served),
        ("decision -> table in every routing directory", written),
    ):
        print(
            f"| {label} | {values['p50_ms']} | {values['p99_ms']} | {values['mean_ms']} | "
            f"{values['max_ms']} |"
        )
    print(
        f"\nrequests under load: {figures['requests']:,}, failed: {figures['failed_requests']}, "
        f"answered outside every table: {figures['outside_every_table']}"
    )
    for failure in figures["failures"]:
        print(f"  {failure}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument(
        "--agent-poll",
        type=float,
        default=LOCAL_POLL_SECONDS,
        help="How often each routing agent looks at its directory (local mode: 0.1 s; a "
        "cluster's sidecar: 0.5 s).",
    )
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument("--load-port", type=int, help=argparse.SUPPRESS)  # the load's child
    parser.add_argument("--concurrency", type=int, default=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load_port is not None:
        return _load_child(args.load_port, args.concurrency)
    with tempfile.TemporaryDirectory(prefix="shift-latency-") as workdir:
        figures = run(args.steps, args.agent_poll, Path(workdir))
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        _print(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
