"""Servers the model tests fetch from, each on 127.0.0.1 and stopped when its `with` ends: a TLS
file server whose certificate only a test CA vouches for, and moto's S3-compatible server."""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from moto.server import ThreadedMotoServer

from tests.kube_adapter.tls_certificates import CertificateAuthority
from tests.ports import free_port

__all__ = ["serve_https", "serve_s3"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        pass


@contextmanager
def serve_https(site: Path, work: Path) -> Iterator[tuple[int, Path]]:
    """Serve the files of `site` over HTTPS; yields (port, the test CA's PEM file in `work`)."""
    authority = CertificateAuthority("model-endpoints-test-ca")
    issued = authority.issue("127.0.0.1", server=True)
    (work / "server.pem").write_bytes(issued.certificate_pem + issued.key_pem)
    (work / "ca.pem").write_bytes(authority.certificate_pem)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(work / "server.pem")

    def handler(*args: object) -> _QuietHandler:
        return _QuietHandler(*args, directory=str(site))  # type: ignore[arg-type]

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], work / "ca.pem"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def serve_s3() -> Iterator[str]:
    """moto's S3-compatible server; yields its endpoint URL."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
