"""Per-version request and 5xx counts over a trailing window, from the routers' own Prometheus text.

Each router serves its counters at `GET <metrics URL>/metrics?scope=backend`; a version's backend
is `be_<version>` and `haproxy_backend_http_responses_total{proxy="be_<version>",code=...}`
counts its responses by class (`1xx` ... `5xx`, `other`), router-made ones (503 queue timeout,
504 scoring timeout) included. `RouterMetricsStats` scrapes every router through a callable it is
given (local mode reads loopback URLs, a cluster reads through the API server), keeps timestamped
samples per router, and answers a window with the counters' increase since the last sample at or
before the window's start (or since the first sample, when it has watched for less), summed over
routers; a counter that went down (a restarted router) counts from zero again.

Latency: HAProxy 2.6's Prometheus exporter has no latency histogram (only averages over the last
1024 requests and maxima since start, from which no p99 can be computed). So each router's agent
keeps one from HAProxy's request log and answers `GET /latency?window=N`; given a `latency`
callable that reads those answers from every router, `WindowStats.p99_ms` is the p99 of the
version's requests on all routers together (`rollout.latency`). Without it, or when the window
holds no timed request, `p99_ms` is None and the engine reports a `p99_latency_ms` alarm as not
judged, never as a breach.
"""

from __future__ import annotations

import time
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rollout.exposition import parse_exposition
from rollout.latency import LatencyHistogram, merge_histograms, parse_latency_answer
from rollout.protocols import WindowStats

__all__ = [
    "RESPONSES_METRIC",
    "RouterMetricsStats",
    "VersionCounts",
    "latency_urls",
    "response_counts",
    "scrape_urls",
]

RESPONSES_METRIC = "haproxy_backend_http_responses_total"
_PROXY_PREFIX = "be_"  # router.names.backend_name; the router layer is not importable from here
# The longest alarm window the spec allows (RouterMetricAlarm.window_seconds).
_LONGEST_WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class VersionCounts:
    """A version's response counters on one router at one moment: all responses and 5xx ones."""

    responses: float
    errors_5xx: float


def response_counts(text: str) -> dict[str, VersionCounts]:
    """`{version: counters}` from one router's `/metrics?scope=backend` text."""
    totals: dict[str, list[float]] = {}
    for sample in parse_exposition(text):
        if sample.name != RESPONSES_METRIC:
            continue
        proxy = sample.labels.get("proxy", "")
        if not proxy.startswith(_PROXY_PREFIX):
            continue
        counts = totals.setdefault(proxy[len(_PROXY_PREFIX) :], [0.0, 0.0])
        counts[0] += sample.value
        if sample.labels.get("code") == "5xx":
            counts[1] += sample.value
    return {version: VersionCounts(*counts) for version, counts in totals.items()}


def scrape_urls(
    metrics_urls: Mapping[str, str], timeout: float = 5.0
) -> Callable[[], dict[str, str]]:
    """A scrape callable over routers' metrics URLs (`{router: "http://127.0.0.1:8405"}`): each
    call GETs `<url>/metrics?scope=backend` from every router and raises if any cannot be read,
    so a silent router shows as an unreadable alarm rather than as fewer requests."""

    def scrape() -> dict[str, str]:
        texts = {}
        for router, url in metrics_urls.items():
            with urllib.request.urlopen(
                f"{url.rstrip('/')}/metrics?scope=backend", timeout=timeout
            ) as response:
                texts[router] = response.read().decode("utf-8")
        return texts

    return scrape


def latency_urls(
    metrics_urls: Mapping[str, str], timeout: float = 5.0
) -> Callable[[int], dict[str, str]]:
    """A latency callable over routers' metrics URLs: each call with a window in seconds GETs
    `<url>/latency?window=N` (forwarded to the router's agent) from every router, raising if any
    cannot be read."""

    def read(seconds: int) -> dict[str, str]:
        texts = {}
        for router, url in metrics_urls.items():
            with urllib.request.urlopen(
                f"{url.rstrip('/')}/latency?window={int(seconds)}", timeout=timeout
            ) as response:
                texts[router] = response.read().decode("utf-8")
        return texts

    return read


class _RouterHistory:
    """One router's samples, oldest first: `(time, {version: counters})`."""

    def __init__(self) -> None:
        self.samples: deque[tuple[float, dict[str, VersionCounts]]] = deque()

    def add(self, at: float, counts: dict[str, VersionCounts], keep_after: float) -> None:
        self.samples.append((at, counts))
        # keep one sample at or before `keep_after`: the baseline of the longest window
        while len(self.samples) > 1 and self.samples[1][0] <= keep_after:
            self.samples.popleft()

    def increase(self, version: str, since: float) -> tuple[float, float]:
        """The version's (responses, 5xx) increase from its baseline for a window starting at
        `since` to its latest sample."""
        series = [(at, counts[version]) for at, counts in self.samples if version in counts]
        if len(series) < 2:
            return 0.0, 0.0
        start = 0
        for index, (at, _) in enumerate(series):
            if at <= since:
                start = index
        responses = errors = 0.0
        for (_, before), (_, after) in zip(series[start:], series[start + 1 :]):
            responses += _counter_increase(before.responses, after.responses)
            errors += _counter_increase(before.errors_5xx, after.errors_5xx)
        return responses, errors


def _counter_increase(before: float, after: float) -> float:
    return after - before if after >= before else after  # went down: the router restarted


class RouterMetricsStats:
    """A `VersionStats` over the routers' own metrics. `scrape()` returns `{router: text}` for
    every live router (any router id that is stable while it lives, e.g. a pod name); `now` is
    the clock the windows are measured on (pass the engine's `clock.now`). A window is answered
    from a fresh scrape unless the last one is under `min_scrape_interval` seconds old, so the
    alarms read at one tick share one scrape. `latency(seconds)` returns `{router: its agent's
    /latency answer}` for every live router; without it `p99_ms` is None (see the module
    docstring). Latency answers are cached per window length for `min_scrape_interval` too."""

    def __init__(
        self,
        scrape: Callable[[], Mapping[str, str]],
        now: Callable[[], float] = time.monotonic,
        min_scrape_interval: float = 1.0,
        latency: Callable[[int], Mapping[str, str]] | None = None,
    ) -> None:
        self._scrape = scrape
        self._now = now
        self._min_interval = min_scrape_interval
        self._latency = latency
        self._routers: dict[str, _RouterHistory] = {}
        self._last_scrape: float | None = None
        self._latency_answers: dict[int, tuple[float, list[dict[str, LatencyHistogram]]]] = {}

    def _p99(self, version: str, seconds: int) -> float | None:
        """`version`'s p99 over every router's last `seconds`, None without a latency source
        or without timed requests."""
        if self._latency is None:
            return None
        cached = self._latency_answers.get(seconds)
        if cached is None or self._now() - cached[0] >= self._min_interval:
            answers = [parse_latency_answer(text) for text in self._latency(seconds).values()]
            cached = (self._now(), answers)
            self._latency_answers[seconds] = cached
        merged = merge_histograms(answer[version] for answer in cached[1] if version in answer)
        return merged.percentile(0.99)

    def scrape(self) -> None:
        """Take a sample of every router now (a window's baseline, e.g. before a step)."""
        texts = self._scrape()
        at = self._now()
        keep_after = at - _LONGEST_WINDOW_SECONDS
        for router, text in texts.items():
            history = self._routers.setdefault(router, _RouterHistory())
            history.add(at, response_counts(text), keep_after)
        self._last_scrape = at

    def window(self, version: str, seconds: int, *, p99: bool = False) -> WindowStats:
        """`version`'s responses and 5xx responses over the last `seconds`, summed over routers."""
        if self._last_scrape is None or self._now() - self._last_scrape >= self._min_interval:
            self.scrape()
        since = self._now() - seconds
        responses = errors = 0.0
        for history in self._routers.values():
            more, failed = history.increase(version, since)
            responses += more
            errors += failed
        return WindowStats(
            requests=round(responses),
            errors_5xx=round(errors),
            p99_ms=self._p99(version, seconds) if p99 else None,
        )
