"""Where a local shift reads its alarms: the local routers' own metrics and their agents' request
times, and the endpoint's Prometheus for PromQL alarms.

Router metrics are scraped over loopback with `http.client` (never through `$http_proxy`, which
urllib would use for 127.0.0.1 unless `$no_proxy` names it). A `prometheus_url` on a loopback
host is queried without proxies for the same reason; any other goes through urllib as usual.
"""

from __future__ import annotations

import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

from local_runtime.loopback_http import loopback_request
from rollout import PrometheusQuery, RouterMetricsStats
from router_agent.status_server import LATENCY_PATH

__all__ = ["LOOPBACK_HOSTS", "local_prometheus_query", "local_router_stats"]

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _scrape(metrics_ports: Sequence[int], timeout: float) -> Callable[[], dict[str, str]]:
    def scrape() -> dict[str, str]:
        texts = {}
        for index, port in enumerate(metrics_ports):
            response = loopback_request(port, "/metrics?scope=backend", timeout=timeout)
            if response.status != 200:
                raise OSError(f"router metrics on port {port} answered HTTP {response.status}")
            texts[f"router-{index}"] = response.body.decode("utf-8", errors="replace")
        return texts

    return scrape


def _latency(metrics_ports: Sequence[int], timeout: float) -> Callable[[int], dict[str, str]]:
    def read(seconds: int) -> dict[str, str]:
        answers = {}
        for index, port in enumerate(metrics_ports):
            response = loopback_request(port, f"{LATENCY_PATH}?window={seconds}", timeout=timeout)
            if response.status == 404:
                continue  # a router started before request times: none to add
            if response.status != 200:
                raise OSError(
                    f"router request times on port {port} answered HTTP {response.status}: "
                    f"{response.body[:200]!r}"
                )
            answers[f"router-{index}"] = response.body.decode("utf-8", errors="replace")
        return answers

    return read


def local_router_stats(
    metrics_ports: Sequence[int], now: Callable[[], float], min_scrape_interval: float
) -> RouterMetricsStats:
    """Per-version windows over the routers listening on `metrics_ports` (127.0.0.1): counts
    from their metrics, request times from their agents."""
    return RouterMetricsStats(
        _scrape(metrics_ports, timeout=5.0),
        now=now,
        min_scrape_interval=min_scrape_interval,
        latency=_latency(metrics_ports, timeout=5.0),
    )


def local_prometheus_query(prometheus_url: str) -> PrometheusQuery:
    """Instant queries against `prometheus_url`, without proxies when it is on loopback."""
    host = urllib.parse.urlsplit(prometheus_url).hostname or ""
    opener: Callable[..., Any] = urllib.request.urlopen
    if host in LOOPBACK_HOSTS:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({})).open
    return PrometheusQuery(prometheus_url, timeout=5.0, opener=opener)
