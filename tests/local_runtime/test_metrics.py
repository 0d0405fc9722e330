"""Reading the router's Prometheus text: replicas in rotation and responses per version."""

from __future__ import annotations

from local_runtime.metrics import parse_prometheus, version_metrics

EXPOSITION = """\
# HELP haproxy_server_status Current status of the server.
# TYPE haproxy_server_status gauge
haproxy_server_status{proxy="be_versiona",server="r1",state="DOWN"} 0
haproxy_server_status{proxy="be_versiona",server="r1",state="UP"} 1
haproxy_server_status{proxy="be_versiona",server="r2",state="DOWN"} 1
haproxy_server_status{proxy="be_versiona",server="r2",state="UP"} 0
haproxy_server_status{proxy="be_versionb",server="r1",state="UP"} 1
haproxy_backend_http_responses_total{proxy="be_versiona",code="2xx"} 41
haproxy_backend_http_responses_total{proxy="be_versiona",code="5xx"} 2
haproxy_backend_http_responses_total{proxy="be_versionb",code="2xx"} 7
haproxy_backend_http_responses_total{proxy="fe_scoring",code="4xx"} 3
haproxy_process_nbthread 2
not a sample line
"""


def test_servers_in_rotation_and_responses_per_version() -> None:
    samples = parse_prometheus(EXPOSITION)
    a = version_metrics(samples, "versiona")
    assert (a.servers, a.servers_up, a.requests) == (2, 1, 43)
    b = version_metrics(samples, "versionb")
    assert (b.servers, b.servers_up, b.requests) == (1, 1, 7)


def test_an_unknown_version_has_nothing() -> None:
    unknown = version_metrics(parse_prometheus(EXPOSITION), "versionc")
    assert (unknown.servers, unknown.servers_up, unknown.requests) == (0, 0, 0)


def test_samples_without_labels_and_odd_lines() -> None:
    samples = parse_prometheus(EXPOSITION)
    assert any(
        s.name == "haproxy_process_nbthread" and s.labels == {} and s.value == 2 for s in samples
    )
    assert all(s.name != "not" for s in samples)
