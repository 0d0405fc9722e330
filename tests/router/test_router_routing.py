"""Routing through the real haproxy: the weighted split in 0.01% steps with the remainder to the
default version, header pinning (and its alias), 400 for unknown versions, and the version/role
headers on every response."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from conftest import make_spec
from router_harness import EchoBackends, PythonBackend, RouterProcess, run_load

from router import AuthMaterial, StaticReplicas

REQUESTS = 20_000


def test_weighted_split_in_hundredths_with_remainder_to_default(
    echo_backends: Callable[..., EchoBackends], start_router: Callable[..., RouterProcess]
) -> None:
    spec = make_spec(
        {"name": "v1", "is_default": True, "is_control_version_type": True},  # takes the remainder
        {"name": "v2", "traffic_percentile": 30.01},
        {"name": "v3", "traffic_percentile": 9.97},
        {"name": "v4", "traffic_percentile": 0.02},
    )
    traffic = spec.effective_traffic()
    assert traffic == {"v1": 60.0, "v2": 30.01, "v3": 9.97, "v4": 0.02}
    # two replicas for v1, one for the others: the split is per version, not per server
    replicas = ["v1-a", "v1-b", "v2-a", "v3-a", "v4-a"]
    backends = echo_backends(*replicas)
    router = start_router(
        spec,
        spec.routing,
        {
            version: StaticReplicas(
                tuple(backends.address(r) for r in replicas if r.startswith(version + "-"))
            )
            for version in traffic
        },
        AuthMaterial(),
    )

    result = run_load(router.port, REQUESTS, concurrency=8)

    assert result.failures == []
    served = Counter(r.headers["x-model-version"] for r in result.responses)
    assert sum(served.values()) == REQUESTS
    for version, percent in traffic.items():
        share = 100 * served[version] / REQUESTS
        assert abs(share - percent) <= 1.5, (version, share, percent, served)
    for response in result.responses:
        version = response.headers["x-model-version"]
        assert response.headers["x-served-by"].startswith(version + "-")
        assert response.headers["x-model-role"] == ("control" if version == "v1" else "treatment")
    assert {r.headers["x-served-by"] for r in result.responses} >= {"v1-a", "v1-b"}


def test_header_pins_a_version_and_unknown_versions_get_400(
    python_backends: Callable[..., list[PythonBackend]],
    start_router: Callable[..., RouterProcess],
) -> None:
    spec = make_spec(
        {"name": "v1", "is_control_version_type": True},
        {"name": "v2", "traffic_percentile": 100},
        {"name": "v3"},  # 0%: reachable only by pinning
    )
    v1, v2, v3 = python_backends("v1", "v2", "v3")
    router = start_router(
        spec,
        spec.routing,
        {b.name: StaticReplicas((b.address,)) for b in (v1, v2, v3)},
        AuthMaterial(),
    )

    unpinned = [router.request() for _ in range(20)]
    assert [(r.status, r.headers.get("x-served-by")) for r in unpinned] == [(200, "v2")] * 20

    for header in ("x-model-version", "azureml-model-deployment"):
        for version, role in (("v3", "treatment"), ("v1", "control")):
            for _ in range(20):
                response = router.request(headers={header: version})
                assert response.status == 200, (header, version, response)
                assert response.json() == {"served_by": version}
                # the router's headers, not the model's (which claims "spoofed")
                assert response.headers["x-model-version"] == version
                assert response.headers["x-model-role"] == role
                assert response.headers["x-request-id"]

    # x-model-version wins over the alias when both are sent
    both = router.request(headers={"x-model-version": "v3", "azureml-model-deployment": "v1"})
    assert both.json() == {"served_by": "v3"}

    served_before = v1.requests + v2.requests + v3.requests
    for header in ("x-model-version", "azureml-model-deployment"):
        for unknown in ("v9", "be_v1", "V3", "v1,v2", "v1 v2", "", "%[env(HOME)]"):
            response = router.request(headers={header: unknown})
            assert response.status == 400, (header, unknown)
            assert response.body == b"unknown model version"
            assert "x-model-version" not in response.headers  # served by no version
    assert v1.requests + v2.requests + v3.requests == served_before
