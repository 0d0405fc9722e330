"""Helpers for tests that run `model-endpoints local ...` for real, as a subprocess.

Every run directory lives under a per-test temporary directory (`MODEL_ENDPOINTS_RUN_DIR`); the
virtualenv cache is the real one, shared across tests and runs (building it is not a process).
`LocalRuns.cleanup` (called by the fixture in `finally`) runs `local down` for every stack a test
started and then stops anything still carrying a run's marker, so no test leaves a process behind.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from local_runtime.loopback_http import LoopbackResponse, loopback_request
from local_runtime.process_control import marked_pids, stop_processes

PROJECT_DIR = Path(__file__).resolve().parents[2]
CLI_TIMEOUT_SECONDS = 600  # a first run builds the inference server's virtualenv
SAMPLE_BODY = json.dumps({"data": [[1.0, 2.0, 3.0]]}).encode()


def score(port: int, headers: Mapping[str, str] | None = None) -> LoopbackResponse:
    """POST the sample rows to the scoring URL."""
    return loopback_request(
        port,
        "/score",
        method="POST",
        body=SAMPLE_BODY,
        headers={"content-type": "application/json", **(headers or {})},
        timeout=30,
    )


def bearer(credential: str) -> dict[str, str]:
    return {"authorization": f"Bearer {credential}"}


def write_stack(directory: Path, name: str, config: str, scripts: Mapping[str, str]) -> Path:
    """A stack config file `Pulumi.<name>.yaml` and its scoring scripts under `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    for relative, text in scripts.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    config_file = directory / f"Pulumi.{name}.yaml"
    config_file.write_text(textwrap.dedent(config))
    return config_file


class LocalRuns:
    """Runs the command line with its run directories under `root`; remembers what it started."""

    def __init__(self, root: Path, console_script: bool = False) -> None:
        self.root = root.resolve()
        self.stacks: set[str] = set()
        executable = Path(sys.executable).parent / "model-endpoints"
        self.command = [str(executable)] if console_script else [sys.executable, "-m", "cli.main"]

    def run_dir(self, stack: str) -> Path:
        return self.root / stack

    def cli(
        self, *args: str, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.command, *args],
            capture_output=True,
            text=True,
            check=False,
            cwd=PROJECT_DIR,
            env={**os.environ, "MODEL_ENDPOINTS_RUN_DIR": str(self.root), **(env or {})},
            stdin=subprocess.DEVNULL,
            timeout=CLI_TIMEOUT_SECONDS,
        )

    def popen(self, *args: str, output: IO[str]) -> subprocess.Popen[str]:
        """The command line started in the background, stdout and stderr into `output`; the
        caller waits for it (or kills it) and the fixture's clean-up stops what its run started."""
        return subprocess.Popen(
            [*self.command, *args],
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=PROJECT_DIR,
            env={**os.environ, "MODEL_ENDPOINTS_RUN_DIR": str(self.root)},
            stdin=subprocess.DEVNULL,
        )

    def state(self, stack: str) -> dict[str, Any]:
        """The run's record, state.json."""
        document: dict[str, Any] = json.loads((self.run_dir(stack) / "state.json").read_text())
        return document

    def up(self, stack: str, *args: str) -> subprocess.CompletedProcess[str]:
        """`local up --stack <stack> --json ...`, remembered for clean-up whatever it returns."""
        self.stacks.add(stack)
        return self.cli("local", "up", "--stack", stack, "--json", *args)

    def up_ok(self, stack: str, *args: str) -> dict[str, Any]:
        result = self.up(stack, *args)
        assert result.returncode == 0, result.stderr
        document: dict[str, Any] = json.loads(result.stdout)
        return document

    def json(self, *args: str) -> dict[str, Any]:
        result = self.cli(*args, "--json")
        assert result.returncode == 0, result.stderr
        document: dict[str, Any] = json.loads(result.stdout)
        return document

    def leftovers(self, stack: str) -> set[int]:
        """Live processes carrying the marker of `stack`'s run (its run directory's path)."""
        return marked_pids(str(self.run_dir(stack)))

    def cleanup(self) -> None:
        for stack in sorted(self.stacks):
            try:
                self.cli("local", "down", "--stack", stack)
            finally:
                stop_processes([], str(self.run_dir(stack)), grace_seconds=5)


class ScoringLoad:
    """Scoring requests on `connections` keep-alive connections from threads until `finish()`
    (bounded: `max_seconds`). Counts answers by `(status, x-model-version, x-model-role)` and
    keeps every transport error; a connection the router closes is reopened, as clients do, and
    a failed request is never retried."""

    def __init__(
        self,
        port: int,
        headers: Mapping[str, str] | None = None,
        connections: int = 2,
        max_seconds: float = 60.0,
    ) -> None:
        self.port = port
        self.headers = {"content-type": "application/json", **(headers or {})}
        self.answers: Counter[tuple[int, str, str]] = Counter()
        self.bodies: Counter[bytes] = Counter()  # what the models answered
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._deadline = time.monotonic() + max_seconds
        self._threads = [
            threading.Thread(target=self._run, daemon=True) for _ in range(connections)
        ]

    def _connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def _run(self) -> None:
        connection = self._connection()
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            try:
                connection.request("POST", "/score", body=SAMPLE_BODY, headers=self.headers)
                response = connection.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as error:
                with self._lock:
                    self.errors.append(f"{type(error).__name__}: {error}")
                connection.close()
                connection = self._connection()
                continue
            key = (
                response.status,
                response.getheader("x-model-version", ""),
                response.getheader("x-model-role", ""),
            )
            with self._lock:
                self.answers[key] += 1
                self.bodies[body] += 1
            if (response.getheader("connection") or "").lower() == "close":
                connection.close()
                connection = self._connection()
        connection.close()

    def __enter__(self) -> ScoringLoad:
        for thread in self._threads:
            thread.start()
        time.sleep(0.3)  # running before the first change
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()

    def finish(self) -> ScoringLoad:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=40)
        return self

    @property
    def total(self) -> int:
        return sum(self.answers.values()) + len(self.errors)

    def failures(self) -> list[str]:
        """Transport errors and answers other than 200."""
        bad = []
        for (status, version, _), count in self.answers.items():
            if status != 200:
                bad += [f"HTTP {status} from {version or '?'}"] * count
        return self.errors + bad

    def served(self) -> Counter[str]:
        """Answers per version."""
        counts: Counter[str] = Counter()
        for (_, version, _), n in self.answers.items():
            counts[version] += n
        return counts
