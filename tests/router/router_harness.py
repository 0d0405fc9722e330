"""Process helpers for the router tests: the real haproxy binary, loopback backends, a client.

Everything binds 127.0.0.1 on free ports, every process started here has a `stop()` the fixtures
call in `finally`, and every wait is bounded by a deadline.
"""

from __future__ import annotations

import asyncio
import csv
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from local_runtime.ports import wait_for_listener as wait_for_port
from router import (
    AuthMaterial,
    Replicas,
    RouterConfig,
    RouterSettings,
    parse_prepare_map_response,
    prepare_map_command,
    render_router,
    weight_change_commands,
)
from router.split import render_split_map
from router_agent.routing_dir import routing_files, write_generation
from specification import EndpointSpec
from specification.routing import RoutingTable
from tests.ports import free_port
from tests.specs import routed

LOOPBACK = "127.0.0.1"


def haproxy_binary() -> str:
    path = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None
    )
    if path is None:
        raise RuntimeError(
            "the router tests run the real haproxy: install it with "
            "`./scripts/install-system-packages.sh haproxy` (Debian's package)"
        )
    return path


def haproxy_check(cfg_path: Path) -> str:
    """`haproxy -c` on a config; raises AssertionError with HAProxy's output if it is rejected."""
    result = subprocess.run(
        [haproxy_binary(), "-c", "-f", str(cfg_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"haproxy -c rejected {cfg_path}:\n{output}"
    return output


class HAProxyProcess:
    """One haproxy master (master-worker mode) running a config file, its output in a file."""

    def __init__(
        self,
        cfg_path: Path,
        log_path: Path,
        wait_ports: Iterable[int],
        master_socket: Path | None = None,
    ) -> None:
        self.cfg_path = cfg_path
        self.log_path = log_path
        self.wait_ports = list(wait_ports)
        self.master_socket = master_socket
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    def start(self) -> HAProxyProcess:
        args = [haproxy_binary(), "-W", "-db", "-f", str(self.cfg_path)]
        if self.master_socket is not None:
            args[1:1] = ["-S", str(self.master_socket)]
        self._log = open(self.log_path, "ab")
        self._process = subprocess.Popen(
            args, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        try:
            for port in self.wait_ports:
                wait_for_port(port)
            if self._process.poll() is not None:
                raise RuntimeError(f"haproxy exited at start:\n{self.log_text()}")
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


# --------------------------------------------------------------------------- backends


HEALTH_PATH = "/healthz"  # the test specs' health_path (see conftest.make_spec)


class _BackendHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _BackendServer

    def _serve(self) -> None:
        if self.path == HEALTH_PATH:  # the router's health checks: answered, not counted
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        backend = self.server.backend
        with backend.lock:
            backend.in_flight += 1
            backend.peak = max(backend.peak, backend.in_flight)
            backend.requests += 1
            backend.last_headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            sleep_ms = int(self.headers.get("x-sleep-ms") or backend.delay_ms)
            if sleep_ms:
                time.sleep(min(sleep_ms, 10_000) / 1000)
            if self.headers.get("x-hold"):  # held until the test calls release(), at most 30 s
                backend.released.wait(timeout=30)
        finally:
            # counted as done before the first response byte leaves: once the router has the
            # response it may hand this replica its next request, possibly before this thread
            # runs again, so decrementing later would count one request too many
            with backend.lock:
                backend.in_flight -= 1
        body = json.dumps({"served_by": backend.name}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.send_header("x-served-by", backend.name)
        # a model that claims to be someone else: the router must overwrite this
        self.send_header("x-model-version", "spoofed")
        self.end_headers()
        self.wfile.write(body)

    do_GET = _serve
    do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


class _BackendServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    backend: PythonBackend

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the router closing a timed-out connection is expected here


class PythonBackend:
    """A threaded HTTP/1.1 replica: answers `{"served_by": name}`, sleeps `x-sleep-ms`, holds a
    request sent with `x-hold` until `release()`, counts concurrent requests (`in_flight`, `peak`)
    and remembers the last request's headers."""

    def __init__(self, name: str, delay_ms: int = 0) -> None:
        self.name = name
        self.delay_ms = delay_ms  # every scoring request sleeps this long unless x-sleep-ms says
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self.requests = 0
        self.last_headers: dict[str, str] = {}
        self.released = threading.Event()
        self._server = _BackendServer((LOOPBACK, 0), _BackendHandler)
        self._server.backend = self
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def start(self) -> PythonBackend:
        self._thread.start()
        return self

    def release(self) -> None:
        """Let every held request (and every later one) answer."""
        self.released.set()

    def stop(self) -> None:
        self.release()
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()


class EchoBackends:
    """Fast replicas: one haproxy process whose frontends answer with `http-request return`,
    each with the header `x-served-by: <name>`."""

    def __init__(self, workdir: Path, names: Iterable[str]) -> None:
        self.ports = {name: free_port() for name in names}
        lines = [
            "global",
            "    nbthread 1",
            "defaults",
            "    mode http",
            "    timeout connect 1s",
            "    timeout client 10s",
            "    timeout server 10s",
        ]
        for index, (name, port) in enumerate(self.ports.items()):
            lines += [
                f"frontend echo{index}",
                f"    bind {LOOPBACK}:{port}",
                f'    http-request return status 200 content-type text/plain string "{name}" '
                f"hdr x-served-by {name}",
            ]
        workdir.mkdir(parents=True, exist_ok=True)
        cfg = workdir / "echo.cfg"
        cfg.write_text("\n".join(lines) + "\n")
        haproxy_check(cfg)
        self._process = HAProxyProcess(cfg, workdir / "echo.log", self.ports.values())

    def address(self, name: str) -> str:
        return f"{LOOPBACK}:{self.ports[name]}"

    def start(self) -> EchoBackends:
        self._process.start()
        return self

    def stop(self) -> None:
        self._process.stop()


# --------------------------------------------------------------------------- client


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http_request(
    port: int,
    path: str = "/score",
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
    body: bytes | None = None,
    timeout: float = 15.0,
    tls: ssl.SSLContext | None = None,
) -> Response:
    """One request on a fresh connection."""
    connection: http.client.HTTPConnection
    if tls is not None:
        connection = http.client.HTTPSConnection(LOOPBACK, port, timeout=timeout, context=tls)
    else:
        connection = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        data = response.read()
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        connection.close()


@dataclass
class LoadResult:
    responses: list[Response] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        bad = [f"HTTP {r.status}" for r in self.responses if r.status != 200]
        return self.errors + bad


def run_load(
    port: int,
    total: int,
    concurrency: int,
    headers: Mapping[str, str] | None = None,
    timeout: float = 60.0,
    stop: threading.Event | None = None,
) -> LoadResult:
    """`total` GETs (fewer if `stop` is set first) over `concurrency` keep-alive connections,
    from one asyncio loop (Python threads convoy on the GIL: 4 threads were 8x slower than 1).
    A connection the router closes (`connection: close`) is reopened, as any HTTP client does; a
    failed request is counted, never retried. Stops at `timeout` seconds whatever happens, and
    says so in `errors`."""
    return asyncio.run(_load(port, total, concurrency, dict(headers or {}), timeout, stop))


async def _load(
    port: int,
    total: int,
    concurrency: int,
    headers: dict[str, str],
    timeout: float,
    stop: threading.Event | None,
) -> LoadResult:
    result = LoadResult()
    remaining = [total]
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = f"GET /score HTTP/1.1\r\nhost: {LOOPBACK}\r\n{head}\r\n".encode()

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Response:
        writer.write(request)
        await writer.drain()
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionError("connection closed before a response")
        status = int(status_line.split()[1])
        response_headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            response_headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(response_headers.get("content-length", "0")))
        return Response(status, response_headers, body)

    async def connection_loop() -> None:
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        try:
            while remaining[0] > 0 and not (stop is not None and stop.is_set()):
                remaining[0] -= 1
                try:
                    if writer is None or reader is None:
                        reader, writer = await asyncio.open_connection(LOOPBACK, port)
                    response = await asyncio.wait_for(one(reader, writer), 20)
                except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
                    result.errors.append(f"{type(error).__name__}: {error}")
                    if writer is not None:
                        writer.close()
                    reader = writer = None
                    continue
                result.responses.append(response)
                if response.headers.get("connection", "").lower() == "close":
                    writer.close()
                    reader = writer = None
        finally:
            if writer is not None:
                writer.close()

    tasks = [asyncio.ensure_future(connection_loop()) for _ in range(concurrency)]
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    done = len(result.responses) + len(result.errors)
    if done < total and not (stop is not None and stop.is_set()):
        result.errors.append(f"load stopped at its time bound: {done} of {total} requests done")
    return result


MIN_REQUESTS = 2_000  # what a load test must have sent for its zero failures to mean much


class BackgroundLoad:
    """Keep-alive load from a thread until `finish()` (bounded: at most 60 s, 100,000 requests)."""

    def __init__(self, port: int, concurrency: int = 8) -> None:
        self._stop = threading.Event()
        self.result: LoadResult | None = None
        self._thread = threading.Thread(target=self._run, args=(port, concurrency), daemon=True)

    def _run(self, port: int, concurrency: int) -> None:
        self.result = run_load(port, 100_000, concurrency, timeout=60, stop=self._stop)

    def __enter__(self) -> BackgroundLoad:
        self._thread.start()
        time.sleep(0.3)  # the load is running before the first change
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()

    def finish(self) -> LoadResult:
        time.sleep(0.3)  # and still running after the last one
        self._stop.set()
        self._thread.join(timeout=90)
        assert self.result is not None, "the load thread did not finish"
        return self.result


# --------------------------------------------------------------------------- sockets


def _unix_command(path: Path, command: str, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect(str(path))
                sock.sendall(command.encode() + b"\n")
                sock.shutdown(socket.SHUT_WR)
                chunks = []
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
                return b"".join(chunks).decode(errors="replace")
        except (ConnectionRefusedError, FileNotFoundError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


Pending = tuple[list[threading.Thread], list[Response | BaseException]]


def send_in_background(router: RouterProcess, count: int, headers: dict[str, str]) -> Pending:
    """`count` requests sent from threads, started now; `answers` waits for them."""
    outcomes: list[Response | BaseException] = [RuntimeError("not answered")] * count

    def one(index: int) -> None:
        try:
            outcomes[index] = router.request(headers=headers, timeout=60)
        except BaseException as error:  # reported by answers
            outcomes[index] = error

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    return threads, outcomes


def answers(pending: Pending) -> list[Response]:
    """The responses of `send_in_background`'s requests, in order; fails on any error."""
    threads, outcomes = pending
    for thread in threads:
        thread.join(timeout=60)
    errors = [o for o in outcomes if not isinstance(o, Response)]
    assert not errors, errors
    return [o for o in outcomes if isinstance(o, Response)]


# --------------------------------------------------------------------------- waiting


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}\s+(\S+)$")


def metric(text: str, name: str, **labels: str) -> float:
    """Sum of the Prometheus samples of `name` in `text` whose labels include `labels`."""
    total, found = 0.0, False
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if not match or match.group(1) != name:
            continue
        sample = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2)))
        if all(sample.get(k) == v for k, v in labels.items()):
            total += float(match.group(3))
            found = True
    assert found, f"no sample {name}{labels}"
    return total


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 8.0) -> None:
    """Poll `condition` every 50 ms until it holds; AssertionError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)



# --------------------------------------------------------------------------- the router


_STAT_COLUMNS = (
    "pxname", "svname", "status", "scur", "smax", "qcur", "qmax", "stot", "econ", "eresp",
    "wretr", "wredis", "hrsp_2xx", "hrsp_4xx", "hrsp_5xx", "cli_abrt", "srv_abrt", "check_status",
    "qtime", "ctime", "rtime", "ttime",
)


class RouterProcess:
    """A rendered router on loopback: maps and cfg written to `workdir`, its routing table to
    `workdir/routing` (kubelet's layout, revision `revision`), `haproxy -c`, started in
    master-worker mode with an admin socket and a master CLI socket. No routing agent runs unless
    a test starts one (`tests/router_agent`)."""

    def __init__(
        self,
        workdir: Path,
        spec: EndpointSpec,
        routing: RoutingTable,
        replicas: Mapping[str, Replicas],
        auth: AuthMaterial,
        green: Mapping[str, Replicas] | None = None,
        **settings: Any,
    ) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir
        self.spec = spec
        self.port = free_port()
        self.metrics_port = free_port()
        self.agent_port = free_port()
        self.revision = 0  # write() makes the first table revision 1
        # HAProxy takes at most 97 bytes for the request log socket beside the admin socket, which
        # a deep pytest temp dir (a worker's `popen-gw1/...`) exceeds: both live in a short
        # private directory of their own, removed by stop()
        self.socket_dir = Path(tempfile.mkdtemp(prefix="me-router-", dir="/tmp"))
        self.settings = RouterSettings(
            bind_address=LOOPBACK,
            port=self.port,
            metrics_port=self.metrics_port,
            agent_port=self.agent_port,
            map_dir=str(workdir / "maps"),
            routing_dir=str(workdir / "routing"),
            admin_socket=str(self.socket_dir / "admin.sock"),
            **settings,
        )
        self.config: RouterConfig = render_router(spec, routing, replicas, auth, self.settings, green)
        self.cfg_path = workdir / "haproxy.cfg"
        self.write()
        self.master_socket = self.socket_dir / "master.sock"
        self._process = HAProxyProcess(
            self.cfg_path,
            workdir / "haproxy.log",
            [self.port, self.metrics_port],
            self.master_socket,
        )

    def server_states(self) -> dict[str, tuple[int, int, int]]:
        """`backend/server` -> (operational state, admin state, last check result), from the
        runtime API's `show servers state` (operational 2 = UP; check result 3 = passed)."""
        states = {}
        for line in self.admin("show servers state").splitlines():
            fields = line.split()
            if len(fields) < 12 or line.startswith("#"):
                continue
            states[f"{fields[1]}/{fields[3]}"] = (int(fields[5]), int(fields[6]), int(fields[11]))
        return states

    def wait_healthy(self, timeout: float = 10.0) -> None:
        """Wait until every server not in maintenance is UP after a passed health check, so a
        test starts from a known state rather than from HAProxy's optimistic start (UP before any
        check, and DOWN on the first failed one)."""

        def healthy() -> bool:
            # the versions' replicas; the routing agent's server has no health check
            states = {k: v for k, v in self.server_states().items() if k.startswith("be_")}
            return bool(states) and all(
                operational == 2 and check == 3
                for operational, admin, check in states.values()
                if admin == 0
            )

        wait_until(healthy, f"every server UP after a passed check: {self.server_states()}", timeout)

    def rerender(
        self,
        routing: RoutingTable,
        replicas: Mapping[str, Replicas],
        auth: AuthMaterial,
    ) -> None:
        """Render again with the same settings (ports, paths) and write cfg and maps; `reload()`
        then makes it live."""
        self.config = render_router(self.spec, routing, replicas, auth, self.settings)
        self.write()

    @property
    def routing_dir(self) -> Path:
        return Path(self.settings.routing_dir)

    def write_routing(self, split_map: str, revision: int) -> None:
        """A new generation of the routing directory, written as kubelet writes a ConfigMap's."""
        self.revision = revision
        write_generation(self.routing_dir, routing_files(split_map, revision))

    def write(self) -> None:
        (self.workdir / "maps").mkdir(exist_ok=True)
        for name, content in self.config.map_files.items():
            (self.workdir / "maps" / name).write_text(content)
        self.write_routing(self.config.split_map, self.revision + 1)
        self.cfg_path.write_text(self.config.haproxy_cfg)
        haproxy_check(self.cfg_path)

    def start(self) -> RouterProcess:
        self._process.start()
        return self

    def stop(self) -> None:
        self._process.stop()
        shutil.rmtree(self.socket_dir, ignore_errors=True)

    def log_text(self) -> str:
        return self._process.log_text()

    def diagnostics(self) -> str:
        """What a failed test needs to tell a router fault from a harness fault: haproxy's output,
        its pid, the servers' states and who listens on the router's ports."""
        parts = [f"pid {self._process.pid if self._process.running else None}", self.log_text()]
        for command in ("show servers state",):
            try:
                parts.append(f"$ {command}\n{self.admin(command)}")
            except OSError as error:
                parts.append(f"$ {command}: {error}")
        try:  # per server: errors, retries, queue and timing counters
            rows = list(csv.DictReader(self.admin("show stat").lstrip("# ").splitlines()))
            columns = [c for c in _STAT_COLUMNS if rows and c in rows[0]]
            parts.append("$ show stat\n" + " ".join(columns))
            parts += [" ".join(row[c] or "-" for c in columns) for row in rows]
        except OSError as error:
            parts.append(f"$ show stat: {error}")
        ports = f"( sport = :{self.port} or sport = :{self.metrics_port} )"
        try:
            listeners = subprocess.run(
                ["ss", "-Htlnp", ports], capture_output=True, text=True, check=False, timeout=10
            ).stdout
        except (OSError, subprocess.TimeoutExpired) as error:
            listeners = str(error)
        parts.append(f"$ ss {ports}\n{listeners}")
        return "\n".join(parts)

    def request(self, **kwargs: Any) -> Response:
        return http_request(self.port, **kwargs)

    def metrics(self) -> str:
        return http_request(
            self.metrics_port, path="/metrics?scope=backend&scope=server"
        ).body.decode()

    def admin(self, command: str) -> str:
        return _unix_command(Path(self.settings.admin_socket), command)

    def master(self, command: str) -> str:
        return _unix_command(self.master_socket, command)

    def set_weights(self, traffic: Mapping[str, float]) -> None:
        """Make `traffic` (effective shares of the spec's versions) live through the runtime API
        and write it to the routing directory."""
        routing = routed(self.spec, traffic)
        map_path = self.config.split_map_path
        version = parse_prepare_map_response(self.admin(prepare_map_command(map_path)))
        for command in weight_change_commands(routing, map_path, version):
            answer = self.admin(command).strip()
            assert answer == "", f"{command!r} -> {answer!r}"
        self.write_routing(render_split_map(routing), self.revision + 1)

    def worker_pids(self) -> list[int]:
        """PIDs of the current (not old) workers, from the master CLI's `show proc`."""
        pids = []
        section = ""
        for line in self.master("show proc").splitlines():
            if line.startswith("#"):
                section = line
                continue
            fields = line.split()
            if len(fields) >= 2 and fields[1] == "worker" and "old" not in section:
                pids.append(int(fields[0]))
        return pids

    def reload(self, timeout: float = 15.0) -> None:
        """Hitless reload through the master CLI; returns once a new worker has replaced the old."""
        before = set(self.worker_pids())
        self.master("reload")
        deadline = time.monotonic() + timeout
        while True:
            try:
                current = set(self.worker_pids())
            except OSError:
                current = set()
            if current and not current & before:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"no new worker after reload:\n{self.log_text()}")
            time.sleep(0.05)
