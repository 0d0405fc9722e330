"""Tests for rollout.exposition: the Prometheus text format as HAProxy and Prometheus write it."""

from __future__ import annotations

import math

import pytest

from rollout.exposition import Sample, parse_exposition


def test_samples_comments_and_special_values() -> None:
    text = "\n".join(
        [
            "# HELP haproxy_backend_http_responses_total Total number of HTTP responses.",
            "# TYPE haproxy_backend_http_responses_total counter",
            'haproxy_backend_http_responses_total{proxy="be_v2",code="5xx"} 40',
            "",
            "process_start_time_seconds 1.7e9",
            'weird{a="x\\"y\\\\z\\n", b = "}"  ,} +Inf 1712345678000',
            "nothing NaN",
            "below -Inf",
        ]
    )
    samples = parse_exposition(text)
    assert samples[:2] == [
        Sample("haproxy_backend_http_responses_total", {"proxy": "be_v2", "code": "5xx"}, 40.0),
        Sample("process_start_time_seconds", {}, 1.7e9),
    ]
    assert samples[2] == Sample("weird", {"a": 'x"y\\z\n', "b": "}"}, math.inf)
    assert math.isnan(samples[3].value)
    assert samples[4].value == -math.inf


@pytest.mark.parametrize(
    "line",
    [
        "metric",  # no value
        "metric{proxy=be_v1} 1",  # unquoted label value
        'metric{proxy="be_v1"} one',
        "1metric 1",
        'metric{proxy="be_v1" code="2xx"} 1',  # no comma between labels
    ],
)
def test_a_malformed_line_is_an_error_naming_it(line: str) -> None:
    with pytest.raises(ValueError, match="malformed"):
        parse_exposition(f"ok 1\n{line}\n")
