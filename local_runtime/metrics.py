"""Read the router's Prometheus metrics: per version, replicas in rotation and requests served.

The router counts what it does (HAProxy's own exporter on the metrics port), so `local status`
reports the same numbers a cluster's Prometheus would scrape, without any code of ours in the
request path. Parsing is pure; `fetch_metrics` is the one network call.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from local_runtime.loopback_http import loopback_request
from router.names import backend_name

__all__ = [
    "Sample",
    "VersionMetrics",
    "fetch_metrics",
    "parse_prometheus",
    "version_metrics",
]

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


@dataclass(frozen=True)
class VersionMetrics:
    """What the router reports about one version's backend."""

    servers: int  # replica servers configured
    servers_up: int  # of those, in rotation (health checks passing)
    requests: int  # responses sent from this backend since the router started


def parse_prometheus(text: str) -> list[Sample]:
    """The samples of a Prometheus text exposition (comments and malformed lines skipped)."""
    samples = []
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match is None:
            continue
        try:
            value = float(match.group(3))
        except ValueError:
            continue
        samples.append(Sample(match.group(1), dict(_LABEL.findall(match.group(2) or "")), value))
    return samples


def _of(samples: Iterable[Sample], name: str, proxy: str) -> list[Sample]:
    return [s for s in samples if s.name == name and s.labels.get("proxy") == proxy]


def version_metrics(samples: Iterable[Sample], version: str) -> VersionMetrics:
    """Servers, servers UP and responses of `version`'s backend (`be_<version>`)."""
    samples = list(samples)
    proxy = backend_name(version)
    status = _of(samples, "haproxy_server_status", proxy)
    servers = {s.labels.get("server", "") for s in status}
    up = {
        s.labels.get("server", "") for s in status if s.labels.get("state") == "UP" and s.value == 1
    }
    responses = _of(samples, "haproxy_backend_http_responses_total", proxy)
    return VersionMetrics(
        servers=len(servers), servers_up=len(up), requests=int(sum(s.value for s in responses))
    )


def fetch_metrics(metrics_url: str, timeout: float = 3.0) -> list[Sample]:
    """GET the router's backend and server metrics (only those scopes: a fraction of it all) and
    parse them; OSError if the router does not answer."""
    parts = urlsplit(metrics_url)
    assert parts.port is not None, metrics_url
    response = loopback_request(
        parts.port, f"{parts.path}?scope=backend&scope=server", timeout=timeout
    )
    if response.status != 200:
        raise OSError(f"{metrics_url} answered HTTP {response.status}")
    return parse_prometheus(response.body.decode("utf-8", errors="replace"))
