"""Fixtures for the router tests: factories whose every process is stopped in `finally`."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from router_harness import (
    HEALTH_PATH,
    EchoBackends,
    PythonBackend,
    RouterProcess,
    haproxy_binary,
)

from specification import EndpointSpec, VersionSpec


def make_spec(*versions: dict[str, Any], **fields: Any) -> EndpointSpec:
    """An EndpointSpec with test defaults: auth off unless asked, images filled in, health checks
    every second."""
    fields.setdefault("name", "ep")
    fields.setdefault("auth_enabled", False)
    return EndpointSpec(
        versions=[
            VersionSpec(
                **{
                    "image": "example/model:1",
                    "health_path": HEALTH_PATH,
                    "period_seconds": 1,  # checks every second: a start-up glitch heals fast
                    **version,
                }
            )
            for version in versions
        ],
        **fields,
    )


@pytest.fixture(scope="session", autouse=True)
def _haproxy_installed() -> None:
    haproxy_binary()  # fails (not skips) with the install command when haproxy is missing


@pytest.fixture
def python_backends() -> Iterator[Callable[..., list[PythonBackend]]]:
    started: list[PythonBackend] = []

    def make(*names: str) -> list[PythonBackend]:
        backends = []
        for name in names:
            backend = PythonBackend(name)
            started.append(backend)
            backends.append(backend.start())
        return backends

    try:
        yield make
    finally:
        for backend in started:
            backend.stop()


@pytest.fixture
def echo_backends(tmp_path: Path) -> Iterator[Callable[..., EchoBackends]]:
    started: list[EchoBackends] = []

    def make(*names: str) -> EchoBackends:
        backends = EchoBackends(tmp_path / f"echo{len(started)}", names)
        started.append(backends)
        return backends.start()

    try:
        yield make
    finally:
        for backends in started:
            backends.stop()


STARTED_ROUTERS = pytest.StashKey[list[RouterProcess]]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """A failed test's report carries the diagnostics of every router it started (output, server
    states, listeners), read while the routers still run."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        for index, router in enumerate(item.stash.get(STARTED_ROUTERS, [])):
            report.sections.append((f"router {index}", router.diagnostics()))


@pytest.fixture
def start_router(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., RouterProcess]]:
    started: list[RouterProcess] = []
    request.node.stash[STARTED_ROUTERS] = started

    def start(*args: Any, wait_healthy: bool = True, **kwargs: Any) -> RouterProcess:
        router = RouterProcess(tmp_path / f"router{len(started)}", *args, **kwargs)
        started.append(router)
        router.start()
        if wait_healthy:
            router.wait_healthy()
        return router

    try:
        yield start
    finally:
        for router in started:
            router.stop()


@pytest.fixture
def ec_key_pair(tmp_path: Path) -> tuple[ec.EllipticCurvePrivateKey, Path]:
    """An ES256 signing key and the path of its public key (SubjectPublicKeyInfo PEM)."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    public_path = tmp_path / "jwt-public.pem"
    public_path.write_bytes(
        private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private_key, public_path
