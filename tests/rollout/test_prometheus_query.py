"""Tests for rollout.prometheus_query: answers parsed as Prometheus gives them, and for real against
Debian's `prometheus` scraping a real haproxy router on loopback every second, including a PromQL
alarm that rolls a shift back."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rollout.alarm_readings import read_promql_alarm
from rollout.prometheus_query import PrometheusQuery, PromQueryError, parse_query_response
from rollout.shift_engine import ShiftPolicy, run_shift
from rollout.shift_errors import ShiftRolledBack
from rollout.steps import plan_steps
from specification.alarms import PromQLAlarm
from specification.routing import RoutingTable
from tests.ports import free_port
from tests.rollout.real_router import running_router, score
from tests.rollout.shift_fakes import FakeClock, FakeRouter, FakeRouters


def _answer(kind: str, result: Any) -> bytes:
    data = {"resultType": kind, "result": result}
    return json.dumps({"status": "success", "data": data}).encode()


def test_parse_scalar_and_vector_answers() -> None:
    assert parse_query_response(_answer("scalar", [1712.5, "0.25"]), "x") == 0.25
    assert parse_query_response(_answer("vector", []), "x") is None
    one = [{"metric": {"proxy": "be_v2"}, "value": [1712.5, "3"]}]
    assert parse_query_response(_answer("vector", one), "x") == 3.0
    assert parse_query_response(_answer("scalar", [1712.5, "+Inf"]), "x") == float("inf")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            _answer("vector", [{"metric": {"a": "1"}, "value": [1, "1"]}] * 2),
            "gave 2 series .* an alarm needs one value: aggregate it",
        ),
        (_answer("matrix", []), "gave a matrix result"),
        (_answer("vector", [{"metric": {}}]), "malformed vector result"),
        (
            b'{"status":"error","errorType":"bad_data","error":"parse error"}',
            "refused .*parse error",
        ),
        (b"<html>proxy error</html>", "not a Prometheus API answer"),
    ],
)
def test_answers_that_are_not_one_value_are_errors(body: bytes, message: str) -> None:
    with pytest.raises(PromQueryError, match=message):
        parse_query_response(body, "x")


def test_the_url_is_the_instant_query_api() -> None:
    query = PrometheusQuery("http://prometheus.monitoring:9090/")
    assert query.url('sum(up{job="router"})') == (
        "http://prometheus.monitoring:9090/api/v1/query?query=sum%28up%7Bjob%3D%22router%22%7D%29"
    )
    with pytest.raises(ValueError, match="http"):
        PrometheusQuery("prometheus:9090")


# --------------------------------------------------------------------------- real prometheus


class PrometheusProcess:
    """Debian's prometheus on 127.0.0.1 with a temporary config and data directory, scraping
    `target`'s `/metrics?scope=backend` every second."""

    def __init__(self, workdir: Path, target: str) -> None:
        binary = shutil.which("prometheus") or "/usr/bin/prometheus"
        if not Path(binary).exists():
            raise RuntimeError(
                "this test runs Debian's prometheus: install it with "
                "`./scripts/install-system-packages.sh prometheus`"
            )
        workdir.mkdir(parents=True, exist_ok=True)
        config = workdir / "prometheus.yml"
        config.write_text(
            "global:\n"
            "  scrape_interval: 1s\n"
            "  scrape_timeout: 1s\n"
            "  evaluation_interval: 1s\n"
            "scrape_configs:\n"
            "  - job_name: router\n"
            "    metrics_path: /metrics\n"
            "    params:\n"
            "      scope: [backend]\n"
            "    static_configs:\n"
            f"      - targets: ['{target}']\n"
        )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "prometheus.log"
        self.args = [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--log.level=warn",
        ]
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> PrometheusProcess:
        with open(self.log, "wb") as log:
            self._process = subprocess.Popen(
                self.args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + 15
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"prometheus exited at start:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"prometheus not ready in 15 s:\n{self.log.read_text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@contextlib.contextmanager
def running_prometheus(workdir: Path, target: str) -> Iterator[PrometheusProcess]:
    prometheus = PrometheusProcess(workdir, target)
    try:
        yield prometheus.start()
    finally:
        prometheus.stop()


V2_5XX = 'sum(haproxy_backend_http_responses_total{proxy="be_v2",code="5xx"})'
V2_RATIO = (
    'sum(haproxy_backend_http_responses_total{proxy="be_v2",code="5xx"})'
    ' / sum(haproxy_backend_http_responses_total{proxy="be_v2"})'
)


def _wait_for(query: PrometheusQuery, expression: str, expected: float, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (value := query.value(expression)) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"{expression} is {value}, not {expected}, after {timeout} s")
        time.sleep(0.2)


def test_queries_against_a_real_prometheus_scraping_a_real_router(tmp_path: Path) -> None:
    start = RoutingTable({"v1": 10000, "v2": 0}, "v1")
    with running_router(tmp_path / "router", start) as router:
        with running_prometheus(
            tmp_path / "prometheus", f"127.0.0.1:{router.metrics_port}"
        ) as prometheus:
            query = PrometheusQuery(prometheus.url, timeout=5)
            assert score(router, 30, "v2") == [(500, "v2")] * 30
            assert score(router, 10, "v1") == [(200, "v1")] * 10
            _wait_for(query, V2_5XX, 30.0, timeout=10)

            # an instant vector of one series, a scalar, and no result
            assert query.value(V2_RATIO) == 1.0
            assert query.value(f"scalar({V2_5XX})") == 30.0
            assert query.value('haproxy_backend_http_responses_total{proxy="be_nope"}') is None
            # several series, and an expression Prometheus cannot parse, are errors it names
            with pytest.raises(PromQueryError, match=r"gave 2 series"):
                query.value('sum by (proxy) (haproxy_backend_http_responses_total{code="2xx",proxy=~"be_.*"})')
            with pytest.raises(PromQueryError, match=r"HTTP 400 .*parse error"):
                query.value("sum(")

            # a PromQL alarm on the ratio breaches; one on the healthy version does not
            alarm = PromQLAlarm(alarm_name="v2-errors", promql=V2_RATIO, threshold=0.05)
            reading = read_promql_alarm(alarm, query)
            assert reading.breached and reading.value == 1.0
            healthy = PromQLAlarm(
                alarm_name="v1-ok",
                promql='sum(haproxy_backend_http_responses_total{proxy="be_v1",code="2xx"})',
                threshold=10,
                comparison_operator="LessThanThreshold",
            )
            assert read_promql_alarm(healthy, query).state == "ok"

            # and the step engine rolls a shift back on it
            clock = FakeClock()
            routers = FakeRouters(clock, [FakeRouter(0)])
            new = RoutingTable({"v1": 0, "v2": 10000}, "v1")
            with pytest.raises(ShiftRolledBack, match=r"breached: .* = 1 > threshold 0.05 in the"):
                run_shift(
                    start,
                    plan_steps(start, new, None),
                    start_revision=0,
                    routers=routers,
                    clock=clock,
                    alarms=[alarm],
                    prom=query,
                    policy=ShiftPolicy(termination_wait_seconds=10),
                )
