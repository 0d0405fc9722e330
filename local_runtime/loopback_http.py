"""Plain HTTP/1.1 requests to 127.0.0.1, for health checks, metrics and the demo's scoring calls.

`http.client` rather than urllib: urllib sends requests through `$http_proxy` unless `$no_proxy`
names the host, and a local run's servers are only ever on loopback.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["LOOPBACK", "LoopbackResponse", "loopback_request"]

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class LoopbackResponse:
    status: int
    headers: dict[str, str]  # lowercase names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def loopback_request(
    port: int,
    path: str = "/",
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 5.0,
    connection: http.client.HTTPConnection | None = None,
) -> LoopbackResponse:
    """One request to 127.0.0.1:`port` (on `connection` if given, kept open; else a fresh one).
    Raises OSError (or http.client.HTTPException) when nothing answers."""
    conn = connection or http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        data = response.read()
        return LoopbackResponse(
            response.status, {k.lower(): v for k, v in response.getheaders()}, data
        )
    finally:
        if connection is None:
            conn.close()
