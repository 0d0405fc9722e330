"""Router latency and throughput: wrk through the rendered HAProxy router vs to the backend.

Not a test (nothing is asserted): it prints a table of requests/s and p50/p99 latency at 1 and 50
connections, directly to the backend and through the router without auth, with API-key auth and
with ES256 JWT auth, plus the latency the router adds at 1 connection. Each router runs as in a
pod, with its routing agent beside it receiving the request log (per-version request times for
p99 alarms); one more router without auth has the request log off, which shows what the log
costs. Each figure is the median of `--repeat` interleaved runs (the machine's other work makes
single runs noisy).

    .venv/bin/python benchmarks/router_latency.py [--duration 5] [--repeat 3] [--json]

Needs Debian's `haproxy` and `wrk` (`./scripts/install-system-packages.sh haproxy wrk`). The
backend is a second HAProxy answering with `http-request return` (a fast, constant backend, so
the difference is the router). Everything binds 127.0.0.1; every process is stopped at the end.
wrk, router and backend share the machine's cores, so throughput is relative, not absolute.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from local_runtime.ports import free_ports, wait_for_listener  # noqa: E402
from router import (  # noqa: E402
    ApiKeyHashes,
    AuthMaterial,
    RouterConfig,
    RouterSettings,
    StaticReplicas,
    TokenVerification,
    check_required_files,
    render_router,
)
from router_agent.command_line import AgentOptions, agent_arguments  # noqa: E402
from router_agent.routing_dir import routing_files, write_generation  # noqa: E402
from specification import EndpointSpec, VersionSpec  # noqa: E402

API_KEY = "bench-primary-key-5f1e0c2b9a"
ISSUER = "https://issuer.example"
AUDIENCE = "model-endpoint"
LOOPBACK = "127.0.0.1"
PROJECT_DIR = Path(__file__).resolve().parents[1]
_PORTS = free_ports()  # distinct free ports on 127.0.0.1 (local_runtime.ports)


@dataclass
class Run:
    path: str
    auth: str
    request_log: bool
    connections: int
    requests_per_s: float
    p50_us: float
    p99_us: float
    non_2xx: int
    socket_errors: int


class Process:
    def __init__(self, args: list[str], log: Path, cwd: Path | None = None) -> None:
        self._log = open(log, "wb")
        self._process = subprocess.Popen(
            args, stdout=self._log, stderr=subprocess.STDOUT, cwd=cwd
        )

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        self._log.close()


def _haproxy(cfg: Path, work: Path, ports: list[int]) -> Process:
    check = subprocess.run(["haproxy", "-c", "-f", str(cfg)], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"haproxy -c rejected {cfg}:\n{check.stdout}{check.stderr}")
    process = Process(["haproxy", "-W", "-db", "-f", str(cfg)], work / f"{cfg.stem}.log")
    try:
        for port in ports:
            wait_for_listener(port)
    except BaseException:
        process.stop()
        raise
    return process


def _backend(work: Path, port: int) -> Process:
    cfg = work / "backend.cfg"
    cfg.write_text(
        "\n".join(
            [
                "global",
                "    nbthread 1",
                "defaults",
                "    mode http",
                "    timeout connect 1s",
                "    timeout client 10s",
                "    timeout server 10s",
                "frontend backend",
                f"    bind {LOOPBACK}:{port}",
                '    http-request return status 200 content-type application/json string "{}"',
            ]
        )
        + "\n"
    )
    return _haproxy(cfg, work, [port])


def _jwt_material(work: Path) -> tuple[Path, str]:
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    public = work / "jwt-public.pem"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    now = int(time.time())
    token = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "sub": "bench", "iat": now, "exp": now + 3600},
        key,
        algorithm="ES256",
    )
    return public, token


def _agent(config: RouterConfig, directory: Path) -> Process:
    """The routing agent beside a router, as its sidecar runs it (`python -m router_agent`)."""
    options = AgentOptions(
        routing_dir=Path(config.routing_dir),
        admin_socket=config.admin_socket,
        map_path=config.split_map_path,
        host=LOOPBACK,
        port=config.agent_port,
        request_log=config.request_log_socket,
    )
    process = Process(
        [sys.executable, "-m", "router_agent", *agent_arguments(options)],
        directory / "agent.log",
        cwd=PROJECT_DIR,
    )
    try:
        wait_for_listener(config.agent_port)
    except BaseException:
        process.stop()
        raise
    return process


def _router(
    work: Path, backend_port: int, auth_kind: str, threads: int | None, request_log: bool
) -> tuple[list[Process], int, dict[str, str]]:
    spec = EndpointSpec(
        name="bench",
        auth_enabled=auth_kind == "key",
        token_auth_enabled=auth_kind == "jwt",
        versions=[
            # no queueing: the benchmark measures the router, not a replica limit
            VersionSpec(name="v1", image="bench", replica_max_concurrent_requests=1000)
        ],
    )
    directory = work / f"router-{auth_kind}-{'log' if request_log else 'nolog'}"
    directory.mkdir()
    port, metrics_port, agent_port = next(_PORTS), next(_PORTS), next(_PORTS)
    headers: dict[str, str] = {}
    auth = AuthMaterial()
    if auth_kind == "key":
        digest = hashlib.sha256(API_KEY.encode()).hexdigest()
        other = hashlib.sha256(b"unused-secondary").hexdigest()
        auth = AuthMaterial(api_keys=ApiKeyHashes(primary=digest, secondary=other))
        headers["Authorization"] = f"Bearer {API_KEY}"
    elif auth_kind == "jwt":
        public, token = _jwt_material(directory)
        auth = AuthMaterial(token=TokenVerification(str(public), ISSUER, AUDIENCE))
        headers["Authorization"] = f"Bearer {token}"
    config = render_router(
        spec,
        spec.routing,
        {"v1": StaticReplicas((f"{LOOPBACK}:{backend_port}",))},
        auth,
        RouterSettings(
            bind_address=LOOPBACK,
            port=port,
            metrics_port=metrics_port,
            agent_port=agent_port,
            request_log=request_log,
            map_dir=str(directory / "maps"),
            routing_dir=str(directory / "routing"),
            admin_socket=str(directory / "admin.sock"),
            threads=threads,
        ),
    )
    (directory / "maps").mkdir()
    for name, content in config.map_files.items():
        (directory / "maps" / name).write_text(content)
    write_generation(directory / "routing", routing_files(config.split_map, 1))
    check_required_files(config)
    cfg = directory / "router.cfg"
    cfg.write_text(config.haproxy_cfg)
    processes = [_agent(config, directory)] if request_log else []
    try:
        processes.append(_haproxy(cfg, directory, [port, metrics_port]))
    except BaseException:
        for process in processes:
            process.stop()
        raise
    return processes, port, headers


_UNITS = {"us": 1.0, "ms": 1000.0, "s": 1_000_000.0}


def _latency_us(output: str, percentile: str) -> float:
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if not match:
        raise RuntimeError(f"no {percentile}% latency in wrk output:\n{output}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _wrk(
    port: int, connections: int, duration: int, headers: dict[str, str]
) -> tuple[float, float, float, int, int]:
    threads = 1 if connections == 1 else 2
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    args.append(f"http://{LOOPBACK}:{port}/score")
    output = subprocess.run(args, capture_output=True, text=True, timeout=duration + 30).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rps is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return (
        float(rps.group(1)),
        _latency_us(output, "50"),
        _latency_us(output, "99"),
        int(non_2xx.group(1)) if non_2xx else 0,
        sum(int(g) for g in errors.groups()) if errors else 0,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per figure; the median is shown (default 3)"
    )
    parser.add_argument(
        "--router-threads",
        type=int,
        default=RouterSettings().threads,
        help=f"HAProxy nbthread (default: the router's own, {RouterSettings().threads}; "
        "0: one per CPU)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the runs as JSON instead of a table"
    )
    options = parser.parse_args()
    for tool in ("haproxy", "wrk"):
        if shutil.which(tool) is None:
            print(
                f"{tool} is missing: ./scripts/install-system-packages.sh haproxy wrk",
                file=sys.stderr,
            )
            return 2

    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="router-bench-") as tmp:
        work = Path(tmp)
        backend_port = next(_PORTS)
        processes: list[Process] = []
        try:
            processes.append(_backend(work, backend_port))
            targets: list[tuple[str, str, bool, int, dict[str, str]]] = [
                ("direct", "-", False, backend_port, {})
            ]
            for auth_kind, request_log in (
                ("none", False), ("none", True), ("key", True), ("jwt", True)
            ):
                started, port, headers = _router(
                    work, backend_port, auth_kind, options.router_threads or None, request_log
                )
                processes += started
                targets.append(("router", auth_kind, request_log, port, headers))
            for connections in (1, 50):
                samples: dict[tuple[str, bool], list[tuple[float, float, float, int, int]]] = {}
                for _ in range(options.repeat):  # interleaved, so drift hits every path alike
                    for _path, auth_kind, request_log, port, headers in targets:
                        _wrk(port, connections, 1, headers)  # warm-up
                        samples.setdefault((auth_kind, request_log), []).append(
                            _wrk(port, connections, options.duration, headers)
                        )
                for path, auth_kind, request_log, _port, _headers in targets:
                    got = samples[(auth_kind, request_log)]
                    runs.append(
                        Run(
                            path,
                            auth_kind,
                            request_log,
                            connections,
                            statistics.median(g[0] for g in got),
                            statistics.median(g[1] for g in got),
                            statistics.median(g[2] for g in got),
                            sum(g[3] for g in got),
                            sum(g[4] for g in got),
                        )
                    )
        finally:
            for process in reversed(processes):
                process.stop()

    if options.json:
        print(json.dumps([asdict(run) for run in runs], indent=2))
        return 0
    direct = {run.connections: run for run in runs if run.path == "direct"}
    print(
        f"{'path':<8} {'auth':<5} {'log':<4} {'conns':>5} {'req/s':>10} {'p50 µs':>8} "
        f"{'p99 µs':>8} {'+p50 µs':>8} {'% of direct':>11} {'errors':>6}"
    )
    for run in runs:
        base = direct[run.connections]
        added = "" if run.path == "direct" else f"{run.p50_us - base.p50_us:+.0f}"
        share = f"{100 * run.requests_per_s / base.requests_per_s:.0f}%"
        print(
            f"{run.path:<8} {run.auth:<5} {'on' if run.request_log else 'off':<4} "
            f"{run.connections:>5} {run.requests_per_s:>10,.0f} "
            f"{run.p50_us:>8.0f} {run.p99_us:>8.0f} {added:>8} {share:>11} "
            f"{run.non_2xx + run.socket_errors:>6}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
