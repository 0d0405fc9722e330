"""Replica health checks through the real haproxy: a replica that stops answering leaves the
rotation after `failure_threshold` checks `period_seconds` apart, and the endpoint keeps answering
from the others."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable

from conftest import make_spec
from router_harness import PythonBackend, RouterProcess

from router import AuthMaterial, StaticReplicas


def _replica_up(router: RouterProcess, server: str) -> bool | None:
    """haproxy_server_status of `be_v1/<server>` (1 = UP), from the metrics endpoint."""
    pattern = rf'haproxy_server_status{{proxy="be_v1",server="{server}",state="UP"}} (\d)'
    found = re.search(pattern, router.metrics())
    return None if found is None else found.group(1) == "1"


def _wait(predicate: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_a_dead_replica_leaves_the_rotation(
    python_backends: Callable[..., list[PythonBackend]],
    start_router: Callable[..., RouterProcess],
) -> None:
    spec = make_spec({"name": "v1", "period_seconds": 1, "failure_threshold": 2, "success_threshold": 1})
    a, b = python_backends("v1-a", "v1-b")
    router = start_router(
        spec, spec.routing, {"v1": StaticReplicas((a.address, b.address))}, AuthMaterial()
    )
    assert "option httpchk GET /healthz" in router.config.haproxy_cfg
    assert "check inter 1s fall 2 rise 1" in router.config.haproxy_cfg
    assert _wait(lambda: _replica_up(router, "r2") is True, 5)

    b.stop()
    assert _wait(lambda: _replica_up(router, "r2") is False, 6), "r2 never marked down"
    served = Counter(router.request().headers.get("x-served-by") for _ in range(40))
    assert served == {"v1-a": 40}
