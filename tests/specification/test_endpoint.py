"""Tests for specification.endpoint: endpoint defaults, cross-version rules, traffic and serialize()."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from specification.endpoint import SEED_MAX_VERSIONS, EndpointSpec
from specification.routing import TOTAL_STEPS, share_steps

IMAGE = "registry.example/model:1"


def _v(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": IMAGE, **fields}


def _endpoint(*versions: dict[str, Any], **fields: Any) -> EndpointSpec:
    return EndpointSpec.model_validate({"name": "mynewendpoint", "versions": list(versions) or [_v("v1")], **fields})


SEED_DEFAULTS: dict[str, Any] = {
    "auth_enabled": True,
    "token_auth_enabled": False,
    "enable_app_insights": False,
    "max_versions": 6,
    "description": "",
    "tags": {},
    "properties": {},
}


@pytest.mark.parametrize(("field", "expected"), list(SEED_DEFAULTS.items()), ids=list(SEED_DEFAULTS))
def test_default_matches_the_seed(field: str, expected: Any) -> None:
    value = getattr(_endpoint(), field)
    assert value == expected
    assert type(value) is type(expected)


def test_seed_max_versions_is_six() -> None:
    assert SEED_MAX_VERSIONS == 6


def test_kubernetes_defaults() -> None:
    endpoint = _endpoint()
    assert endpoint.namespace is None
    assert endpoint.effective_namespace == "mynewendpoint"
    assert endpoint.create_namespace is True
    assert endpoint.autoscaler == "hpa"
    assert endpoint.prometheus_url is None


def test_explicit_namespace() -> None:
    assert _endpoint(namespace="endpointnamespace").effective_namespace == "endpointnamespace"


def test_at_least_one_version() -> None:
    with pytest.raises(ValidationError, match=r"versions\n  List should have at least 1 item"):
        EndpointSpec(name="e", versions=[])


def test_version_names_must_be_unique() -> None:
    with pytest.raises(ValidationError, match="versions: names must be unique; repeated: a, b"):
        _endpoint(_v("a"), _v("b"), _v("a"), _v("b"), _v("c"))


def test_six_versions_allowed_seven_rejected() -> None:
    six = [_v(f"v{i}") for i in range(6)]
    assert len(_endpoint(*six).versions) == 6
    with pytest.raises(ValidationError, match=re.escape("versions: 7 versions, more than max_versions (6)")):
        _endpoint(*six, _v("v6"))


def test_custom_max_versions() -> None:
    with pytest.raises(ValidationError, match=re.escape("versions: 3 versions, more than max_versions (2)")):
        _endpoint(_v("a"), _v("b"), _v("c"), max_versions=2)
    assert len(_endpoint(_v("a"), _v("b"), max_versions=2).versions) == 2


def test_max_versions_at_least_one() -> None:
    with pytest.raises(ValidationError, match=r"max_versions\n  Input should be greater than or equal to 1"):
        _endpoint(max_versions=0)


def test_traffic_over_100_is_rejected_with_the_sum_and_shares() -> None:
    with pytest.raises(
        ValidationError,
        match=re.escape("versions: traffic_percentile values sum to 100.01, more than 100 (a=50, b=50.01)"),
    ):
        _endpoint(_v("a", traffic_percentile=50), _v("b", traffic_percentile=50.01))


def test_traffic_sum_names_larger_totals() -> None:
    with pytest.raises(ValidationError, match=r"sum to 150, more than 100 \(a=60, b=50, c=40\)"):
        _endpoint(_v("a", traffic_percentile=60), _v("b", traffic_percentile=50), _v("c", traffic_percentile=40))


def test_traffic_exactly_100_is_accepted() -> None:
    endpoint = _endpoint(
        _v("a", traffic_percentile=33.33), _v("b", traffic_percentile=33.33), _v("c", traffic_percentile=33.34)
    )
    assert endpoint.effective_traffic() == {"a": 33.33, "b": 33.33, "c": 33.34}


def test_first_version_is_default_when_none_flagged() -> None:
    endpoint = _endpoint(_v("a"), _v("b"), _v("c"))
    assert endpoint.default_version == "a"


def test_flagged_version_is_default() -> None:
    assert _endpoint(_v("a"), _v("b", is_default=True)).default_version == "b"


def test_two_defaults_are_rejected() -> None:
    with pytest.raises(ValidationError, match="versions: exactly one version may set is_default; found a, c"):
        _endpoint(_v("a", is_default=True), _v("b"), _v("c", is_default=True))


def test_at_most_one_control() -> None:
    with pytest.raises(
        ValidationError,
        match=re.escape("versions: at most one version may set is_control_version_type (one control, any number of treatments); found a, b"),
    ):
        _endpoint(_v("a", is_control_version_type=True), _v("b", is_control_version_type=True))


def test_control_and_treatments() -> None:
    endpoint = _endpoint(_v("prod", is_control_version_type=True), _v("t1"), _v("t2"))
    assert endpoint.control_version == "prod"
    assert [v.role for v in endpoint.versions] == ["control", "treatment", "treatment"]


def test_no_control() -> None:
    assert _endpoint(_v("a"), _v("b")).control_version is None


def test_version_lookup() -> None:
    endpoint = _endpoint(_v("a"), _v("b", traffic_percentile=10))
    assert endpoint.version("b").traffic_percentile == 10
    with pytest.raises(KeyError, match="zzz"):
        endpoint.version("zzz")


# --- the seed's controlled-rollout walk-through


def test_seed_walkthrough() -> None:
    step1 = _endpoint(_v("versiona", traffic_percentile=20))
    assert step1.default_version == "versiona"
    assert step1.effective_traffic() == {"versiona": 100.0}

    step2 = _endpoint(_v("versiona", traffic_percentile=20), _v("versionb", traffic_percentile=10))
    assert step2.default_version == "versiona"
    assert step2.effective_traffic() == {"versiona": 90.0, "versionb": 10.0}

    step3 = _endpoint(
        _v("versiona", traffic_percentile=20), _v("versionb", traffic_percentile=40, is_default=True)
    )
    assert step3.default_version == "versionb"
    assert step3.effective_traffic() == {"versiona": 20.0, "versionb": 80.0}


@st.composite
def endpoint_versions(draw: st.DrawFn) -> tuple[list[dict[str, Any]], int | None]:
    count = draw(st.integers(min_value=1, max_value=SEED_MAX_VERSIONS))
    cuts = sorted(draw(st.lists(st.integers(0, TOTAL_STEPS), min_size=count, max_size=count)))
    steps = [cuts[0]] + [cuts[i] - cuts[i - 1] for i in range(1, count)]
    flagged = draw(st.none() | st.integers(min_value=0, max_value=count - 1))
    versions = [
        _v(f"v{i}", traffic_percentile=s / 100, is_default=(i == flagged)) for i, s in enumerate(steps)
    ]
    return versions, flagged


@settings(max_examples=60, deadline=None)
@given(case=endpoint_versions())
def test_endpoint_effective_traffic_properties(case: tuple[list[dict[str, Any]], int | None]) -> None:
    versions, flagged = case
    endpoint = _endpoint(*versions)
    default = f"v{flagged if flagged is not None else 0}"
    assert endpoint.default_version == default
    traffic = endpoint.effective_traffic()
    assert sum(share_steps(p) for p in traffic.values()) == TOTAL_STEPS
    assigned = sum(share_steps(v["traffic_percentile"]) for v in versions)
    for version in versions:
        name, share = version["name"], version["traffic_percentile"]
        if name == default:
            assert share_steps(traffic[name]) == share_steps(share) + TOTAL_STEPS - assigned
        else:
            assert traffic[name] == share


# --- autoscaler


def test_keda_requires_prometheus_url() -> None:
    with pytest.raises(ValidationError, match="prometheus_url is required when autoscaler is 'keda'"):
        _endpoint(autoscaler="keda")
    endpoint = _endpoint(autoscaler="keda", prometheus_url="http://prometheus.monitoring:9090")
    assert endpoint.prometheus_url == "http://prometheus.monitoring:9090"


def test_unknown_autoscaler_is_rejected() -> None:
    with pytest.raises(ValidationError, match=r"autoscaler\n  Input should be 'hpa' or 'keda'"):
        _endpoint(autoscaler="vpa")


@pytest.mark.parametrize("url", ["prometheus:9090", "ftp://x", "http://a b", "http://x\n"])
def test_prometheus_url_pattern(url: str) -> None:
    with pytest.raises(ValidationError, match=r"prometheus_url\n  String should match pattern"):
        _endpoint(autoscaler="keda", prometheus_url=url)


# --- typos


@pytest.mark.parametrize("field", ["version", "max_version", "auth_enable", "app_insights", "primary_key", "compute_target_name"])
def test_unknown_fields_are_rejected(field: str) -> None:
    with pytest.raises(ValidationError, match=rf"\n{field}\n  Extra inputs are not permitted"):
        _endpoint(**{field: 1})


def test_unknown_version_field_reports_its_path() -> None:
    with pytest.raises(ValidationError, match=r"\nversions\.1\.trafic_percentile\n  Extra inputs are not permitted"):
        _endpoint(_v("a"), _v("b", trafic_percentile=10))


# --- serialize()


def test_serialize_is_json_ready() -> None:
    endpoint = _endpoint(
        _v("versiona", traffic_percentile=20, is_control_version_type=True, num_replicas=2),
        _v("versionb", traffic_percentile=40, is_default=True, env={"A": "1"}),
        namespace="endpointnamespace",
        enable_app_insights=True,
        tags={"sckitlearn": "demo"},
    )
    data = endpoint.serialize()
    assert json.loads(json.dumps(data)) == data

    assert data["name"] == "mynewendpoint"
    assert data["namespace"] == "endpointnamespace"
    assert data["auth_enabled"] is True
    assert data["enable_app_insights"] is True
    assert data["tags"] == {"sckitlearn": "demo"}
    assert data["default_version"] == "versionb"
    assert data["control_version"] == "versiona"
    assert data["effective_traffic"] == {"versiona": 20.0, "versionb": 80.0}
    assert [v["name"] for v in data["versions"]] == ["versiona", "versionb"]
    a, b = data["versions"]
    assert (a["is_default"], b["is_default"]) == (False, True)
    assert (a["autoscale_enabled"], b["autoscale_enabled"]) == (False, True)
    assert a["traffic_percentile"] == 20.0
    assert a["is_control_version_type"] is True
    assert a["num_replicas"] == 2
    assert b["env"] == {"A": "1"}
    assert b["cpu_cores"] == 0.1
    assert b["initial_delay_seconds"] == 310


def test_serialize_marks_the_implicit_default_and_effective_namespace() -> None:
    data = _endpoint(_v("a", traffic_percentile=20), _v("b", traffic_percentile=10)).serialize()
    json.dumps(data)
    assert data["namespace"] == "mynewendpoint"
    assert data["default_version"] == "a"
    assert data["control_version"] is None
    assert [v["is_default"] for v in data["versions"]] == [True, False]
    assert data["effective_traffic"] == {"a": 90.0, "b": 10.0}


def test_serialize_with_inference_config() -> None:
    data = _endpoint(
        {"name": "v1", "inference_config": {"entry_script": "score.py", "requirements": ["numpy"]}}
    ).serialize()
    json.dumps(data)
    assert data["versions"][0]["image"] is None
    assert data["versions"][0]["inference_config"]["entry_script"] == "score.py"


def test_router_is_a_reserved_version_name() -> None:
    with pytest.raises(ValidationError, match="'router' is reserved"):
        EndpointSpec(name="ep", versions=[{"name": "router", "image": "i"}])


def test_router_ip_family_is_one_of_kubernetes_families() -> None:
    spec = EndpointSpec(name="ep", versions=[{"name": "v1", "image": "i"}])
    assert spec.router.ip_family == "IPv4"
    dual = EndpointSpec(
        name="ep", versions=[{"name": "v1", "image": "i"}], router={"ip_family": "DualStack"}
    )
    assert dual.router.ip_family == "DualStack"
    with pytest.raises(ValidationError) as error:
        EndpointSpec(name="ep", versions=[{"name": "v1", "image": "i"}], router={"ip_family": "ipv6"})
    assert error.value.errors()[0]["loc"] == ("router", "ip_family")
    assert "'IPv4', 'IPv6' or 'DualStack'" in str(error.value)


# --- credentials never cross the network in clear


@pytest.mark.parametrize("service_type", ["LoadBalancer", "NodePort"])
@pytest.mark.parametrize("auth", [{}, {"auth_enabled": False, "token_auth_enabled": True}])
def test_a_public_service_with_auth_needs_tls_or_the_explicit_opt_out(
    service_type: str, auth: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError) as raised:
        _endpoint(_v("a"), router={"service_type": service_type}, **auth)
    message = str(raised.value)
    assert f"service_type {service_type} exposes the endpoint outside the cluster without TLS" in message
    assert "set router.tls_secret_name" in message  # the first fix
    assert "router.allow_plaintext_credentials: true" in message  # the second
    secured = _endpoint(_v("a"), router={"service_type": service_type, "tls_secret_name": "tls"}, **auth)
    assert secured.router.tls
    opted_out = {"service_type": service_type, "allow_plaintext_credentials": True}
    assert _endpoint(_v("a"), router=opted_out, **auth).router.allow_plaintext_credentials


def test_a_cluster_internal_or_unauthenticated_service_needs_no_tls() -> None:
    assert not _endpoint(_v("a")).router.tls  # ClusterIP with auth
    public = _endpoint(_v("a"), auth_enabled=False, router={"service_type": "LoadBalancer"})
    assert public.router.public and not public.router.tls


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({}, "give a namespace, pod_labels or a cidr"),
        ({"namespace": "obs", "cidr": "10.0.0.0/8"}, "either an address range or namespace/pod_labels"),
        ({"namespace": "Bad_NS"}, "namespace"),
        ({"pod_labels": {"app": "a b"}}, "pod_labels"),
        ({"cidr": "10.0.0.0/8; drop"}, "cidr"),
    ],
)
def test_metrics_sources_are_checked(source: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _endpoint(_v("a"), router={"metrics_sources": [source]})


# --- deployment_config


def _shift_with_alarms(*alarms: dict[str, Any]) -> dict[str, Any]:
    return {
        "blue_green_update_policy": {
            "traffic_routing_configuration": {
                "type": "CANARY",
                "wait_interval_in_seconds": 300,
                "canary_size": {"type": "CAPACITY_PERCENT", "value": 10},
            }
        },
        "auto_rollback_configuration": {"alarms": list(alarms)},
    }


PROMQL_ALARM = {"alarm_name": "business-errors", "promql": "sum(rate(errors_total[5m]))", "threshold": 5}
ROUTER_ALARM = {"alarm_name": "canary-errors", "metric": "5xx_ratio", "threshold": 0.01}


def test_no_deployment_config_by_default() -> None:
    assert _endpoint().deployment_config is None
    assert _endpoint().serialize()["deployment_config"] is None


def test_a_promql_alarm_needs_prometheus_url_naming_both_fields() -> None:
    with pytest.raises(ValidationError) as error:
        _endpoint(deployment_config=_shift_with_alarms(ROUTER_ALARM, PROMQL_ALARM))
    assert error.value.errors()[0]["loc"] == ()
    assert error.value.errors()[0]["msg"] == (
        "Value error, deployment_config.auto_rollback_configuration.alarms[1] ('business-errors'): "
        "a PromQL alarm needs prometheus_url, the Prometheus server it queries; set prometheus_url "
        "or use a router metric alarm (metric: 5xx_ratio or p99_latency_ms)"
    )


def test_a_promql_alarm_with_prometheus_url_and_router_alarms_without() -> None:
    with_prometheus = _endpoint(
        deployment_config=_shift_with_alarms(PROMQL_ALARM), prometheus_url="http://prometheus.monitoring:9090"
    )
    assert with_prometheus.deployment_config is not None
    router_only = _endpoint(deployment_config=_shift_with_alarms(ROUTER_ALARM))
    data = router_only.serialize()
    assert json.loads(json.dumps(data)) == data
    assert data["deployment_config"]["auto_rollback_configuration"]["alarms"][0]["min_requests"] == 20
    assert EndpointSpec.model_validate(router_only.model_dump()) == router_only


LATENCY_ALARM = {"alarm_name": "canary-p99", "metric": "p99_latency_ms", "threshold": 250}


def test_a_p99_alarm_needs_the_routers_request_times() -> None:
    assert _endpoint().router.request_times is True
    assert _endpoint(deployment_config=_shift_with_alarms(LATENCY_ALARM)).deployment_config
    with pytest.raises(ValidationError) as error:
        _endpoint(
            deployment_config=_shift_with_alarms(ROUTER_ALARM, LATENCY_ALARM),
            router={"request_times": False},
        )
    assert error.value.errors()[0]["msg"] == (
        "Value error, deployment_config.auto_rollback_configuration.alarms[1] ('canary-p99'): a "
        "p99_latency_ms alarm reads the request times the router logs, and router.request_times "
        "is false; set it to true or use another alarm"
    )
    # without request times, a 5xx alarm still works
    quiet = _endpoint(deployment_config=_shift_with_alarms(ROUTER_ALARM), router={"request_times": False})
    assert quiet.router.request_times is False


# --- values Kubernetes would refuse at `up` fail at preview instead


@pytest.mark.parametrize(
    ("router", "field"),
    [
        ({"service_type": "LoadBalancer", "load_balancer_source_ranges": ["\r10.0.0.0/8"]}, "load_balancer_source_ranges.0"),
        ({"service_type": "LoadBalancer", "load_balancer_source_ranges": ["10.0.0.0"]}, "load_balancer_source_ranges.0"),
        ({"service_annotations": {"bad key\n": "x"}}, "service_annotations.bad key\n.[key]"),
        ({"image": "haproxy:2.6\x00"}, "image"),
        ({"metrics_sources": [{"cidr": "10.0.0.0/99"}]}, "metrics_sources.0.cidr"),
    ],
)
def test_router_values_kubernetes_would_refuse_fail_at_preview(router: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        _endpoint(_v("a"), auth_enabled=False, router=router)
    assert field.split(".")[0] in str(raised.value)


def test_valid_ranges_annotations_and_images_pass() -> None:
    spec = _endpoint(
        _v("a"),
        auth_enabled=False,
        router={
            "service_type": "LoadBalancer",
            "load_balancer_source_ranges": ["10.0.0.0/8", "2001:db8::/32"],
            "service_annotations": {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"},
            "image": "registry.example.com/haproxy@sha256:" + "a" * 64,
        },
    )
    assert spec.router.load_balancer_source_ranges == ["10.0.0.0/8", "2001:db8::/32"]


@pytest.mark.parametrize("url", ["http://prometh\u0435us:9090", "http://p\x7f:9090", "http://p:9090/\x00"])
def test_prometheus_url_takes_printable_ascii_only(url: str) -> None:
    with pytest.raises(ValidationError, match="prometheus_url"):
        _endpoint(_v("a"), prometheus_url=url)


@pytest.mark.parametrize("image", ["model:1\x00", "model:1\x1b[2J", "mödel:1"])
def test_version_and_base_images_take_printable_ascii_only(image: str) -> None:
    with pytest.raises(ValidationError, match="image"):
        _endpoint(_v("a", image=image))
    with pytest.raises(ValidationError, match="base_image"):
        _endpoint(_v("a", image=None, inference_config={"entry_script": "s.py", "base_image": image}))
