"""Observability through the real haproxy: Prometheus metrics on their own port (per-version
in-flight, queued and served requests, status codes) and, with `enable_app_insights`, one JSON
access-log line per request (version, role, status, queue and total time)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from conftest import make_spec
from router_harness import (
    PythonBackend,
    RouterProcess,
    answers,
    http_request,
    metric,
    send_in_background,
    wait_until,
)

from router import AuthMaterial, StaticReplicas, backend_name


def test_prometheus_metrics_per_version_on_their_own_port(
    python_backends: Callable[..., list[PythonBackend]],
    start_router: Callable[..., RouterProcess],
) -> None:
    spec = make_spec(
        {"name": "v1", "max_request_wait_time": 10000},
        {"name": "v2", "traffic_percentile": 50, "scoring_timeout_ms": 300},
    )
    v1, v2 = python_backends("v1", "v2")
    router = start_router(
        spec,
        spec.routing,
        {"v1": StaticReplicas((v1.address,)), "v2": StaticReplicas((v2.address,))},
        AuthMaterial(),
    )
    be_v1, be_v2 = backend_name("v1"), backend_name("v2")

    # 3 held requests on v1's single replica (maxconn 1): 1 in flight on the replica, 2 queued
    # (held at the replica until released, so the state lasts until it has been read)
    pending = send_in_background(router, 3, {"x-model-version": "v1", "x-hold": "1"})
    try:
        wait_until(
            lambda: v1.in_flight == 1
            and metric(router.metrics(), "haproxy_backend_current_queue", proxy=be_v1) == 2,
            "1 request on v1's replica and 2 queued",
        )
        metrics = router.metrics()
        assert metric(metrics, "haproxy_backend_current_sessions", proxy=be_v1) == 3  # in flight
        assert metric(metrics, "haproxy_server_current_sessions", proxy=be_v1, server="r1") == 1
        assert metric(metrics, "haproxy_server_limit_sessions", proxy=be_v1, server="r1") == 1
        assert metric(metrics, "haproxy_backend_current_queue", proxy=be_v2) == 0
    finally:
        v1.release()
    assert [r.status for r in answers(pending)] == [200, 200, 200]

    # a 504 and a 200 on v2, a 400 at the front door
    assert router.request(headers={"x-model-version": "v2", "x-sleep-ms": "1000"}).status == 504
    assert router.request(headers={"x-model-version": "v2"}).status == 200
    assert router.request(headers={"x-model-version": "nope"}).status == 400

    metrics = router.metrics()
    assert metric(metrics, "haproxy_backend_http_responses_total", proxy=be_v1, code="2xx") == 3
    assert metric(metrics, "haproxy_backend_http_responses_total", proxy=be_v2, code="2xx") == 1
    assert metric(metrics, "haproxy_backend_http_responses_total", proxy=be_v2, code="5xx") == 1
    assert metric(metrics, "haproxy_backend_sessions_total", proxy=be_v1) == 3  # served
    assert metric(metrics, "haproxy_backend_current_sessions", proxy=be_v1) == 0
    assert metric(metrics, "haproxy_backend_current_queue", proxy=be_v1) == 0

    # the metrics port is not the scoring port, and the scoring port does not expose metrics
    assert http_request(router.metrics_port, path="/healthz").body == b"ok"
    assert "x-served-by" in router.request(path="/metrics").headers
    all_metrics = http_request(router.metrics_port, path="/metrics").body.decode()
    assert f'haproxy_backend_current_queue{{proxy="{be_v1}"}}' in all_metrics


def _log_lines(router: RouterProcess) -> list[dict[str, Any]]:
    return [json.loads(line) for line in router.log_text().splitlines() if line.startswith("{")]


def test_access_log_line_per_request_with_app_insights(
    python_backends: Callable[..., list[PythonBackend]],
    start_router: Callable[..., RouterProcess],
) -> None:
    spec = make_spec(
        {"name": "v1", "is_control_version_type": True, "scoring_timeout_ms": 400},
        {"name": "v2", "traffic_percentile": 100},
        enable_app_insights=True,
    )
    v1, v2 = python_backends("v1", "v2")
    router = start_router(
        spec,
        spec.routing,
        {"v1": StaticReplicas((v1.address,)), "v2": StaticReplicas((v2.address,))},
        AuthMaterial(),
        access_log="stdout",
    )
    sent = [
        router.request(),
        router.request(headers={"x-model-version": "v1", "x-sleep-ms": "50"}),
        router.request(headers={"x-model-version": "v1", "x-sleep-ms": "1000"}),
        router.request(headers={"x-model-version": "v7"}),
    ]
    assert [r.status for r in sent] == [200, 200, 504, 400]

    wait_until(lambda: len(_log_lines(router)) >= 4, "4 access-log lines")
    # a line is written when its stream ends, which can be after the client has the response
    # and has sent its next request: lines of back-to-back requests can swap places, and the
    # request id is what joins them
    by_id = {line["request_id"]: line for line in _log_lines(router)}
    assert len(by_id) == 4
    lines = [by_id[response.headers["x-request-id"]] for response in sent]
    for line, response in zip(lines, sent, strict=True):
        assert line["endpoint"] == "ep"
        assert line["status"] == response.status
        assert isinstance(line["queue_ms"], int) and isinstance(line["total_ms"], int)
        assert line["total_ms"] >= 0
    assert [(line["version"], line["role"]) for line in lines] == [
        ("v2", "treatment"),
        ("v1", "control"),
        ("v1", "control"),
        ("-", "-"),  # rejected before any version was chosen
    ]
    assert lines[1]["queue_ms"] == 0 and lines[1]["total_ms"] >= 50
    assert lines[2]["termination"] == "sH" and lines[2]["total_ms"] >= 400  # server timeout
    assert lines[3]["termination"] == "LR" and lines[3]["queue_ms"] == -1


def test_no_access_log_without_app_insights(
    python_backends: Callable[..., list[PythonBackend]],
    start_router: Callable[..., RouterProcess],
) -> None:
    spec = make_spec({"name": "v1"}, enable_app_insights=False)
    (v1,) = python_backends("v1")
    router = start_router(
        spec, spec.routing, {"v1": StaticReplicas((v1.address,))}, AuthMaterial()
    )
    for _ in range(5):
        assert router.request().status == 200
    # every request is logged to the routing agent's socket only (no agent runs here), never to
    # the router's output
    assert "log global" not in router.config.haproxy_cfg
    assert f"log {router.config.request_log_socket} format raw" in router.config.haproxy_cfg
    router.stop()  # flushes and closes the output
    assert _log_lines(router) == []
