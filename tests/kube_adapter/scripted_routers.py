"""Router pods behind the fake API server, as a shift sees them through the pod proxy: an agent
that reports the routing ConfigMap's revision some time after it was written, and a metrics page
whose per-version counters grow with every scrape."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from tests.kube_adapter.fake_api_server import FakeApiServer, RecordedRequest

__all__ = ["ScriptedAgent", "ScriptedMetrics", "metrics_text"]


def _revision(text: str | None) -> int | None:
    stripped = (text or "").strip()
    return int(stripped) if stripped.isdigit() else None


@dataclass
class ScriptedAgent:
    """`GET /routing` of one router pod: it applies each revision the ConfigMap holds
    `delay_seconds` after it first sees it there (a kubelet volume sync and the agent's poll),
    and reports the newest one applied. With `refuse`, it applies nothing and reports that error.

    It sees the ConfigMap only when asked (like a poll), so `seen` holds when each revision was
    first seen and `reported` when it was first reported: the test's evidence of a lag."""

    fake: FakeApiServer
    namespace: str
    config_map: str
    delay_seconds: float = 0.0
    refuse: str | None = None
    seen: dict[int, float] = field(default_factory=dict)
    reported: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        stored = self.fake.config_maps.get((self.namespace, self.config_map))
        start = _revision(stored["data"].get("revision")) if stored else None
        if start is not None:
            self.seen[start] = -math.inf  # running with it since before the test

    def __call__(self, request: RecordedRequest) -> tuple[int, str]:
        now = time.monotonic()
        stored = self.fake.config_maps.get((self.namespace, self.config_map))
        current = _revision(stored["data"].get("revision")) if stored else None
        if current is not None and self.refuse is None:
            self.seen.setdefault(current, now)
        applied = [r for r, at in self.seen.items() if now - at >= self.delay_seconds]
        revision = max(applied, key=lambda r: self.seen[r]) if applied else None
        if revision is not None:
            self.reported.setdefault(revision, now)
        return 200, json.dumps({"revision": revision, "applied_at": None, "error": self.refuse})


def metrics_text(counts: Mapping[str, tuple[int, int]]) -> str:
    """A router's `/metrics?scope=backend` text with `{version: (responses, 5xx of them)}`."""
    lines = ["# TYPE haproxy_backend_http_responses_total counter"]
    for version, (responses, failed) in counts.items():
        for code, value in (("2xx", responses - failed), ("5xx", failed)):
            labels = f'proxy="be_{version}",code="{code}"'
            lines.append(f"haproxy_backend_http_responses_total{{{labels}}} {value}")
    return "\n".join(lines) + "\n"


@dataclass
class ScriptedMetrics:
    """`GET /metrics` of one router pod: each scrape adds `per_scrape` `{version: (responses,
    5xx)}` to the counters; `queries` records what each scrape asked for."""

    per_scrape: dict[str, tuple[int, int]]
    totals: dict[str, tuple[int, int]] = field(default_factory=dict)
    queries: list[dict[str, list[str]]] = field(default_factory=list)

    def __call__(self, request: RecordedRequest) -> tuple[int, str]:
        self.queries.append(request.query)
        for version, (responses, failed) in self.per_scrape.items():
            total, errors = self.totals.get(version, (0, 0))
            self.totals[version] = (total + responses, errors + failed)
        return 200, metrics_text(self.totals)
