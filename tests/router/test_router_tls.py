"""TLS termination through the real haproxy when the endpoint has a certificate."""

from __future__ import annotations

import http.client
import ssl
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import make_spec
from router_harness import PythonBackend, RouterProcess, http_request
from tls_material import self_signed_pem

from router import AuthMaterial, StaticReplicas, check_required_files


def test_tls_termination(
    python_backends: Callable[..., list[PythonBackend]],
    start_router: Callable[..., RouterProcess],
    tmp_path: Path,
) -> None:
    pem = tmp_path / "router-tls.pem"
    pem.write_bytes(self_signed_pem())
    (backend,) = python_backends("v1")
    spec = make_spec({"name": "v1", "is_control_version_type": True})
    router = start_router(
        spec,
        spec.routing,
        {"v1": StaticReplicas((backend.address,))},
        AuthMaterial(tls_certificate_path=str(pem)),
    )
    check_required_files(router.config)

    trusting = ssl.create_default_context(cafile=str(pem))
    response = http_request(router.port, tls=trusting)
    assert response.status == 200
    assert response.json() == {"served_by": "v1"}
    assert response.headers["x-model-role"] == "control"
    assert backend.requests == 1  # the backend got plain HTTP from the router

    # a client that does not trust the certificate refuses it; plain HTTP gets no answer
    with pytest.raises(ssl.SSLCertVerificationError):
        http_request(router.port, tls=ssl.create_default_context())
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        http_request(router.port)
    assert backend.requests == 1
