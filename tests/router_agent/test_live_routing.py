"""The real agent beside the real haproxy: tables written as kubelet writes a ConfigMap volume
reach the running router without a reload, `/routing` on the router's metrics port says which
revision it applied, a bad table is refused while the old one keeps serving, a new router starts
from the file, and twenty changes under load fail no request and never show a half table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from router.names import ROUTING_AGENT_BACKEND
from tests.router.router_harness import MIN_REQUESTS, BackgroundLoad, RouterProcess, http_request
from tests.router_agent.agent_harness import AgentProcess
from tests.router_agent.conftest import sentinel_spec, split_map

StartRouter = Callable[..., RouterProcess]
StartAgent = Callable[[RouterProcess], AgentProcess]

ONLY_V2 = {"v1": 0.0, "v2": 100.0, "v3": 0.0}
ONLY_V3 = {"v1": 0.0, "v2": 0.0, "v3": 100.0}


def _served(router: RouterProcess, count: int) -> Counter[str]:
    """Which version answered each of `count` requests, each on a new connection."""
    return Counter(router.request().headers["x-model-version"] for _ in range(count))


def test_a_table_written_like_kubelet_is_applied_live_and_reported_on_the_metrics_port(
    routers: StartRouter, start_agent: StartAgent
) -> None:
    spec = sentinel_spec()
    router = routers(spec, ONLY_V2)
    agent = start_agent(router)
    first = agent.wait_for(1)
    assert _served(router, 20) == {"v2": 20}
    workers, cfg = router.worker_pids(), router.cfg_path.read_bytes()

    router.write_routing(split_map(spec, ONLY_V3), 2)
    second = agent.wait_for(2)
    assert datetime.fromisoformat(second["applied_at"]) > datetime.fromisoformat(first["applied_at"])
    assert _served(router, 20) == {"v3": 20}
    router.write_routing(split_map(spec, {"v1": 0.0, "v2": 50.0, "v3": 50.0}), 3)
    agent.wait_for(3)
    halves = _served(router, 400)
    assert set(halves) == {"v2", "v3"} and 140 < halves["v2"] < 260, halves

    # the agent answers itself on its loopback port; the router forwards only /routing to it
    direct = http_request(router.agent_port, path="/routing")
    assert direct.status == 200 and direct.json() == agent.routing()
    assert direct.json()["revision"] == 3 and direct.json()["error"] is None
    assert http_request(router.agent_port, path="/other").status == 404
    assert http_request(router.agent_port, path="/routing", method="POST", body=b"").status == 405
    assert http_request(router.metrics_port, path="/other").status == 404
    assert "haproxy_backend_http_responses_total" in router.metrics()
    # no reload and no new worker: the same process runs the same configuration
    assert router.worker_pids() == workers and router.cfg_path.read_bytes() == cfg
    live = router.admin(f"show map {router.config.split_map_path}")
    assert "0:4999 be_v2" in live and "5000:9999 be_v3" in live
    assert ROUTING_AGENT_BACKEND not in router.config.split_map


def test_a_bad_table_is_refused_the_old_one_keeps_serving_and_the_error_is_reported(
    routers: StartRouter, start_agent: StartAgent
) -> None:
    spec = sentinel_spec()
    router = routers(spec, ONLY_V2)
    agent = start_agent(router)
    agent.wait_for(1)
    bad_tables = {
        "0:4999 be_v2\n5001:9999 be_v3\n": "leaves buckets 5000-5000 uncovered",
        "0:5999 be_v2\n5000:9999 be_v3\n": "covers buckets 5000-5999 twice",
        "0:9999 be_v2;clear map x\n": "is not '<first>:<last> be_<version>'",
        "0:9999 be_v9\n": "this router has no backend be_v9",
        "0:9999 routing_agent\n": "is not be_<version>",
    }
    for revision, (text, problem) in enumerate(bad_tables.items(), start=2):
        router.write_routing(text, revision)
        report = agent.wait_for(1, error=True)
        while problem not in report["error"]:  # the previous bad table's error, until polled
            report = agent.wait_for(1, error=True)
        assert "the previous table stays live" in report["error"]
        assert _served(router, 10) == {"v2": 10}
    router.write_routing(split_map(spec, ONLY_V3), 9)
    assert agent.wait_for(9)["error"] is None
    assert _served(router, 10) == {"v3": 10}


def test_a_new_router_starts_from_the_file_and_its_agent_reports_that_revision(
    routers: StartRouter, start_agent: StartAgent
) -> None:
    spec = sentinel_spec()
    router = routers(spec, ONLY_V3, revision=7)
    assert _served(router, 20) == {"v3": 20}  # HAProxy read the file: no agent runs yet
    agent = start_agent(router)
    assert agent.wait_for(7)["error"] is None
    assert _served(router, 20) == {"v3": 20}


def test_an_agent_started_before_haproxy_applies_the_table_once_haproxy_is_up(
    routers: StartRouter, start_agent: StartAgent
) -> None:
    spec = sentinel_spec()
    router = routers(spec, ONLY_V2, revision=4, started_now=False)
    agent = start_agent(router)  # as in a pod, where both containers start at once
    waiting = http_request(router.agent_port, path="/routing").json()
    assert waiting["revision"] is None and "revision 4 is not applied yet" in waiting["error"]
    router.start()
    assert agent.wait_for(4)["error"] is None
    assert _served(router, 10) == {"v2": 10}


def test_twenty_changes_under_load_fail_no_request_and_never_show_a_half_table(
    routers: StartRouter, start_agent: StartAgent
) -> None:
    """v1 is the default backend and has no share in any table: a request it serves fell in a
    bucket the live map did not hold, which a half-applied table would show."""
    spec = sentinel_spec()
    router = routers(spec, {"v1": 0.0, "v2": 50.0, "v3": 50.0})
    agent = start_agent(router)
    agent.wait_for(1)
    shapes = [ONLY_V2, ONLY_V3, {"v1": 0.0, "v2": 0.01, "v3": 99.99}, {"v1": 0.0, "v2": 66.67, "v3": 33.33}]
    tables = [shapes[index % len(shapes)] for index in range(20)]
    workers = router.worker_pids()

    with BackgroundLoad(router.port, concurrency=4) as load:
        for revision, table in enumerate(tables, start=2):
            router.write_routing(split_map(spec, table), revision)
            agent.wait_for(revision)
            only = [version for version, share in table.items() if share == 100.0]
            if only:  # what the router applied is what it serves, at once
                assert _served(router, 5) == {only[0]: 5}
        result = load.finish()

    assert result.failures == []
    assert len(result.responses) >= MIN_REQUESTS
    served = Counter(response.headers["x-model-version"] for response in result.responses)
    assert served["v1"] == 0, served
    assert served["v2"] > 0 and served["v3"] > 0
    assert router.worker_pids() == workers  # no reload, no restart


def test_the_agent_stops_on_sigterm_and_the_router_keeps_its_last_table(
    routers: StartRouter, start_agent: StartAgent
) -> None:
    spec = sentinel_spec()
    router = routers(spec, ONLY_V2)
    agent = start_agent(router)
    agent.wait_for(1)
    assert agent.terminate(timeout=5) == 0
    assert "stopped" in agent.log_text()
    # no agent: HAProxy answers for it (not a stale revision), and scoring goes on
    assert http_request(router.metrics_port, path="/routing").status == 503
    assert _served(router, 10) == {"v2": 10}
