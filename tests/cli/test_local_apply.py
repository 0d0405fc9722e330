"""`model-endpoints local apply` for real: runs of real `azmlinfsrv` replicas behind the real router
and its routing agent, their stack configs written as `Pulumi.<stack>.yaml`, and traffic sent
through the router while the shift walks.

- a LINEAR shift of a healthy version reaches its target in its planned steps, each live on the
  router before its bake, with no failed request under load; its last step also makes the new
  version the default and the A/B control, which reloads the router (hitless) while the load runs;
  `local status` shows the live table; a change beyond routing is refused and changes nothing;
- a CANARY to a version whose `run()` raises (azmlinfsrv answers 500) is rolled back at its first
  bake, naming the alarm, and the old table is live again; the same through a PromQL alarm read
  from Debian's `prometheus` scraping the local router; a CANARY to a version that answers slowly
  is rolled back by a p99 latency alarm, read from the routing agent's request times;
- a `local apply` killed (SIGKILL) in the middle of a bake leaves the router on a complete table
  and a record of the shift; `local status` says it was interrupted; the next `local apply` rolls
  it back and then walks its own shift to the end; a SIGTERM rolls back in-process;
- a version's new entry script replaces it blue/green (green beside blue, then blue gone) without
  a failed request, or is rolled back with blue untouched; under an INSTANCE_COUNT canary of 1 pod
  of a 2-replica version, green bakes the canary on 1 replica and grows to 2 before the rest.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from local_runtime.loopback_http import loopback_request
from router_agent.split_table import SplitTable, parse_revision, parse_split_map
from tests.local_runtime.local_run_harness import LocalRuns, ScoringLoad, score, write_stack
from tests.ports import free_port
from tests.rollout.test_prometheus_query import running_prometheus

GOOD_SCRIPT = """
    def init():
        pass

    def run(raw_data):
        return {"served": "ok"}
"""
BROKEN_RUN_SCRIPT = """
    def init():
        pass

    def run(raw_data):
        raise RuntimeError("this model version is broken")
"""
SLOW_SCRIPT = """
    import time

    def init():
        pass

    def run(raw_data):
        time.sleep(0.3)
        return {"served": "slowly"}
"""
NEW_MODEL_SCRIPT = """
    def init():
        pass

    def run(raw_data):
        return {"served": "new"}
"""
SCRIPTS = {
    "models/good.py": GOOD_SCRIPT,
    "models/new.py": NEW_MODEL_SCRIPT,
    "models/broken.py": BROKEN_RUN_SCRIPT,
    "models/slow.py": SLOW_SCRIPT,
}


def _stack(versions: str, deployment_config: str = "", extra: str = "") -> str:
    """A stack config of one endpoint `shop` without auth (the load needs no key)."""
    return f"""
    config:
      model-endpoints:endpoints:
        - name: shop
          auth_enabled: false
{extra}{deployment_config}          versions:
{versions}"""


def _versions(
    vb_share: float, vb_script: str = "good", vb_flags: str = "", default: str = "va"
) -> str:
    """va (good) and vb (`vb_script`) with `vb_share`, `default` flagged `is_default`."""
    return (
        "            - name: va\n"
        f"              is_default: {str(default == 'va').lower()}\n"
        "              period_seconds: 1\n"
        "              inference_config: {entry_script: models/good.py}\n"
        "            - name: vb\n"
        f"              traffic_percentile: {vb_share}\n"
        f"              is_default: {str(default == 'vb').lower()}\n"
        "              period_seconds: 1\n"
        f"{vb_flags}"
        f"              inference_config: {{entry_script: models/{vb_script}.py}}\n"
    )


def _policy(
    kind: str,
    size: int,
    wait: int,
    alarms: str = "",
    termination: int = 0,
    size_type: str = "CAPACITY_PERCENT",
) -> str:
    size_key = "canary_size" if kind == "CANARY" else "linear_step_size"
    text = (
        "          deployment_config:\n"
        "            blue_green_update_policy:\n"
        "              traffic_routing_configuration:\n"
        f"                type: {kind}\n"
        f"                {size_key}: {{type: {size_type}, value: {size}}}\n"
        f"                wait_interval_in_seconds: {wait}\n"
        f"              termination_wait_in_seconds: {termination}\n"
        "              maximum_execution_timeout_in_seconds: 600\n"
    )
    if alarms:
        text += "            auto_rollback_configuration:\n              alarms:\n" + alarms
    return text


ROUTER_ALARM = (
    "                - alarm_name: canary-5xx\n"
    "                  metric: 5xx_ratio\n"
    "                  threshold: 0.05\n"
    "                  window_seconds: 10\n"
    "                  min_requests: 5\n"
)
LATENCY_ALARM = (
    "                - alarm_name: canary-p99\n"
    "                  metric: p99_latency_ms\n"
    "                  threshold: 200\n"
    "                  window_seconds: 10\n"
    "                  min_requests: 5\n"
)
VB_5XX = 'sum(haproxy_backend_http_responses_total{proxy="be_vb",code="5xx"})'


def _promql_alarm() -> str:
    return (
        "                - alarm_name: vb-errors-promql\n"
        f"                  promql: '{VB_5XX}'\n"
        "                  threshold: 0\n"
    )


class ApplyRun:
    """One local run of `shop` and the config file `local apply` reads."""

    def __init__(self, runs: LocalRuns, directory: Path, stack: str, config: str) -> None:
        self.runs = runs
        self.stack = stack
        self.config_file = write_stack(directory, stack, config, SCRIPTS)
        up = runs.up_ok(stack, "--config", str(self.config_file), "--port", str(free_port()))
        self.port = int(urlsplit(up["url"]).port or 0)
        self.metrics_port = int(urlsplit(up["metrics_url"]).port or 0)

    def write(self, config: str) -> None:
        write_stack(self.config_file.parent, self.stack, config, {})

    def apply(self) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
        result = self.runs.cli(
            "local", "apply", "--stack", self.stack, "--config", str(self.config_file), "--json"
        )
        document: dict[str, Any] = json.loads(result.stdout) if result.stdout else {}
        return result, document

    def start_apply(self, log: Path) -> subprocess.Popen[str]:
        with open(log, "w") as output:
            return self.runs.popen(
                "local", "apply", "--stack", self.stack, "--config", str(self.config_file),
                output=output,
            )

    def routing(self) -> dict[str, Any]:
        document: dict[str, Any] = loopback_request(self.metrics_port, "/routing").json()
        return document

    def routing_dir(self) -> Path:
        return self.runs.run_dir(self.stack) / "router" / "shop" / "routing"

    def table_on_disk(self) -> SplitTable:
        """The routing directory's table, read as the agent reads it (refused if not complete)."""
        directory = self.routing_dir()
        return SplitTable(
            parse_split_map((directory / "split.map").read_text()),
            parse_revision((directory / "revision").read_text()),
        )

    def status(self) -> dict[str, Any]:
        document: dict[str, Any] = self.runs.json("local", "status", "--stack", self.stack)
        return document["endpoints"]["shop"]

    def describe(self) -> dict[str, Any]:
        """`describe --json`: the endpoint's status as it derives it from the run's records."""
        document: dict[str, Any] = self.runs.json("describe", "--stack", self.stack)
        status: dict[str, Any] = document["endpoints"]["shop"]
        return status

    def shift(self) -> dict[str, Any] | None:
        shift: dict[str, Any] | None = self.runs.state(self.stack)["endpoints"]["shop"]["shift"]
        return shift


def _wait(condition: Callable[[], bool], what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def healthy(local_runs: LocalRuns, tmp_path: Path) -> Iterator[ApplyRun]:
    yield ApplyRun(local_runs, tmp_path / "stack", "healthy", _stack(_versions(0)))


@pytest.fixture
def broken(local_runs: LocalRuns, tmp_path: Path) -> Iterator[ApplyRun]:
    yield ApplyRun(local_runs, tmp_path / "stack", "broken", _stack(_versions(0, "broken")))


def test_a_linear_shift_reaches_its_target_in_its_steps_without_a_failed_request(
    healthy: ApplyRun,
) -> None:
    assert healthy.routing()["buckets"] == {"be_va": 10000}
    # vb takes 60% and becomes the default (so also the remainder) and the A/B control
    control = "              is_control_version_type: true\n"
    healthy.write(
        _stack(
            _versions(60, vb_flags=control, default="vb"),
            _policy("LINEAR", 25, wait=1, alarms=ROUTER_ALARM),
        )
    )
    with ScoringLoad(healthy.port) as load:
        result, document = healthy.apply()
    assert result.returncode == 0, result.stderr
    assert load.total >= 200 and load.failures() == []
    shop = document["endpoints"]["shop"]
    assert shop["outcome"] == "shifted" and shop["from_revision"] == 1
    # 25% of the change per step, each its own revision; the last makes vb the default
    assert [step["traffic"] for step in shop["steps"]] == [
        {"va": 75.0, "vb": 25.0},
        {"va": 50.0, "vb": 50.0},
        {"va": 25.0, "vb": 75.0},
        {"va": 0.0, "vb": 100.0},
    ]
    assert [step["revision"] for step in shop["steps"]] == [2, 3, 4, 5]
    assert all(step["bake_seconds"] >= 1 for step in shop["steps"])
    assert shop["revision"] == 5 and shop["table"]["default_version"] == "vb"
    assert "alarm canary-5xx: ok 5xx_ratio of vb = 0" in result.stderr
    # both versions served during the shift; after it, vb as the default and the control
    assert load.served()["va"] > 0 and load.served()["vb"] > 0
    assert healthy.routing()["revision"] == 5 and healthy.routing()["buckets"] == {"be_vb": 10000}
    answer = score(healthy.port)
    assert answer.status == 200
    assert (answer.headers["x-model-version"], answer.headers["x-model-role"]) == ("vb", "control")

    status = healthy.status()
    assert status["revision"] == 5 and status["shift"] is None
    assert {v: s["live_share"] for v, s in status["versions"].items()} == {"va": 0.0, "vb": 100.0}
    assert {v: s["share"] for v, s in status["versions"].items()} == {"va": 0.0, "vb": 100.0}

    # a change beyond routing is refused, named, and changes nothing
    healthy.write(_stack(_versions(60, vb_flags="              num_replicas: 2\n")))
    refused, _ = healthy.apply()
    assert refused.returncode == 1 and refused.stdout == ""
    assert "versions[vb].num_replicas: None -> 2" in refused.stderr
    assert "local down --stack healthy` then `model-endpoints local up --stack healthy" in (
        refused.stderr
    )
    assert healthy.routing()["revision"] == 5


def test_a_canary_to_a_failing_version_is_rolled_back_by_each_kind_of_alarm(
    broken: ApplyRun, tmp_path: Path
) -> None:
    with running_prometheus(tmp_path / "prometheus", f"127.0.0.1:{broken.metrics_port}") as prom:
        broken.write(
            _stack(
                _versions(100, "broken"),
                _policy("CANARY", 50, wait=3, alarms=_promql_alarm()),
                extra=f"          prometheus_url: {prom.url}\n",
            )
        )
        with ScoringLoad(broken.port) as load:
            result, document = broken.apply()
    assert result.returncode == 1, result.stderr
    assert "alarm 'vb-errors-promql' breached" in result.stderr
    assert document["outcome"] == "rolled_back"
    assert "traffic shift rolled back: alarm 'vb-errors-promql' breached" in document["error"]
    assert load.served()["vb"] > 0  # the canary took traffic, and failed it
    live = broken.routing()
    assert live["buckets"] == {"be_va": 10000}
    assert live["revision"] == document["endpoints"]["shop"]["revision"]

    # the router's own 5xx ratio: rolled back at the first bake
    canary = _policy("CANARY", 50, wait=2, alarms=ROUTER_ALARM)
    broken.write(_stack(_versions(100, "broken"), canary))
    with ScoringLoad(broken.port) as load:
        result, document = broken.apply()
    assert result.returncode == 1
    message = (
        "traffic shift rolled back: alarm 'canary-5xx' breached: 5xx_ratio of vb = 1 > threshold "
        "0.05"
    )
    assert message in result.stderr and message in document["error"]
    assert "at step 1 of 2; 50% of the change had moved (va 100% -> 50%, vb 0% -> 50%)" in (
        document["error"]
    )
    shop = document["endpoints"]["shop"]
    assert shop["outcome"] == "rolled_back" and shop["traffic"] == {"va": 100.0, "vb": 0.0}
    assert broken.routing()["buckets"] == {"be_va": 10000}
    assert broken.routing()["revision"] == shop["revision"] == live["revision"] + 2
    assert broken.table_on_disk().buckets == {"be_va": 10000}
    status = broken.status()
    assert status["shift"] is None and status["versions"]["vb"]["live_share"] == 0.0
    after = [score(broken.port) for _ in range(20)]
    assert {(a.status, a.headers["x-model-version"]) for a in after} == {(200, "va")}
    # the run record's last failure is what `describe` reports
    described = broken.describe()
    assert described["endpoint_status"] == "InService"
    assert message in described["failure_reason"]
    last = next(c for c in described["conditions"] if c["type"] == "LastShift")
    assert last["reason"] == "RolledBack"


def test_a_canary_to_a_slow_version_is_rolled_back_by_the_p99_latency_alarm(
    local_runs: LocalRuns, tmp_path: Path
) -> None:
    slow = ApplyRun(local_runs, tmp_path / "stack", "slow", _stack(_versions(0, "slow")))
    slow.write(_stack(_versions(100, "slow"), _policy("CANARY", 50, wait=4, alarms=LATENCY_ALARM)))
    with ScoringLoad(slow.port) as load:
        result, document = slow.apply()
    assert result.returncode == 1, result.stderr
    assert load.served()["vb"] >= 5 and load.failures() == []  # slow, never failed
    error = document["error"]
    assert "traffic shift rolled back: alarm 'canary-p99' breached: p99_latency_ms of vb = " in error
    value = float(error.split("p99_latency_ms of vb = ")[1].split(" ")[0])
    # at least the run's 300 ms sleep; more when the load's requests queued for vb's one replica
    assert 300 <= value < 10_000
    assert "> threshold 200" in error and "at step 1 of 2" in error
    assert slow.routing()["buckets"] == {"be_va": 10000}


def test_a_killed_apply_leaves_a_complete_table_and_the_next_apply_rolls_it_back(
    healthy: ApplyRun, tmp_path: Path
) -> None:
    healthy.write(_stack(_versions(80), _policy("LINEAR", 50, wait=60)))
    killed = healthy.start_apply(tmp_path / "killed.log")
    try:
        _wait(lambda: (healthy.shift() or {}).get("phase") == "step", "the first bake")
    finally:
        killed.kill()
        killed.wait(timeout=10)
    shift = healthy.shift()
    assert shift is not None and (shift["step"], shift["step_count"]) == (1, 2)
    # the router serves step 1's table, complete, as the routing directory holds it
    assert healthy.routing()["revision"] == shift["revision"] == 2
    assert healthy.routing()["buckets"] == {"be_va": 6000, "be_vb": 4000}
    on_disk = healthy.table_on_disk()
    assert (on_disk.revision, on_disk.buckets) == (2, {"be_va": 6000, "be_vb": 4000})
    status = healthy.status()
    assert status["shift"]["running"] is False and status["shift"]["phase"] == "step"
    pending = healthy.describe()["pending_deployment"]
    assert (pending["step"], pending["step_count"], pending["phase"]) == (1, 2, "step")
    assert status["versions"]["vb"]["live_share"] == 40.0 and status["versions"]["vb"]["share"] == 0

    healthy.write(_stack(_versions(80), _policy("LINEAR", 50, wait=1)))
    with ScoringLoad(healthy.port) as load:
        result, document = healthy.apply()
    assert result.returncode == 0, result.stderr
    assert load.failures() == []
    assert "a `local apply` was killed during its shift (step 1 of 2" in result.stderr
    shop = document["endpoints"]["shop"]
    # rolled back to the starting table first (revision 3), then walked again from it
    assert shop["recovered_revision"] == 3
    assert shop["from"] == {"va": 100.0, "vb": 0.0} and shop["from_revision"] == 3
    assert [step["revision"] for step in shop["steps"]] == [4, 5]
    assert healthy.routing()["buckets"] == {"be_va": 2000, "be_vb": 8000}
    assert healthy.shift() is None
    described = healthy.describe()
    assert described["endpoint_status"] == "InService" and described["failure_reason"] is None

    # SIGTERM: the process rolls its own shift back before it exits
    healthy.write(_stack(_versions(0), _policy("LINEAR", 50, wait=60)))
    terminated = healthy.start_apply(tmp_path / "terminated.log")
    try:
        _wait(lambda: (healthy.shift() or {}).get("phase") == "step", "the first bake")
        terminated.send_signal(signal.SIGTERM)
        assert terminated.wait(timeout=20) == 130
    finally:
        terminated.kill()
        terminated.wait(timeout=10)
    assert healthy.shift() is None
    assert healthy.routing()["revision"] == 7  # step 1 was 6; its rollback 7
    assert healthy.routing()["buckets"] == {"be_va": 2000, "be_vb": 8000}
    assert "rolling back" in (tmp_path / "terminated.log").read_text()
    last_failure = healthy.runs.state(healthy.stack)["endpoints"]["shop"]["last_failure"]
    assert last_failure["outcome"] == "rolled_back"
    assert "the shift was interrupted (KeyboardInterrupt) at step 1 of 2" in last_failure["reason"]


# --------------------------------------------------------------------------- blue/green


def _bg_policy(termination: int = 0) -> str:
    return _policy("CANARY", 50, wait=2, alarms=ROUTER_ALARM, termination=termination)


def _processes(run: ApplyRun, version: str) -> dict[str, int]:
    """`{replica name: pid}` of `version`'s replica processes in the run record."""
    state = run.runs.state(run.stack)
    names = {r["name"] for r in state["endpoints"]["shop"]["replicas"] if r["version"] == version}
    return {p["name"]: p["pid"] for p in state["processes"] if p["name"] in names}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]


@pytest.fixture
def serving(local_runs: LocalRuns, tmp_path: Path) -> Iterator[ApplyRun]:
    """vb takes half the traffic, with no policy yet."""
    yield ApplyRun(local_runs, tmp_path / "stack", "serving", _stack(_versions(50)))


def test_a_new_entry_script_replaces_the_version_blue_green_without_a_failed_request(
    serving: ApplyRun,
) -> None:
    blue = _processes(serving, "vb")
    assert list(blue) == ["shop-vb-1"]
    serving.write(_stack(_versions(50, "new"), _bg_policy()))
    with ScoringLoad(serving.port) as load:
        result, document = serving.apply()
    assert result.returncode == 0, result.stderr
    assert load.total >= 100 and load.failures() == []
    shop = document["endpoints"]["shop"]
    assert shop["outcome"] == "replaced"
    # the version's half moved to its new replicas in the canary's steps, under its own name
    assert [step["traffic"] for step in shop["steps"]] == [
        {"va": 50.0, "vb": 25.0, "vb_green": 25.0},
        {"va": 50.0, "vb": 0.0, "vb_green": 50.0},
    ]
    assert shop["traffic"] == {"va": 50.0, "vb": 50.0}
    assert "alarm canary-5xx: ok 5xx_ratio of vb_green = 0" in result.stderr
    # clients only ever saw va and vb, answered by the old and then the new script
    assert {(status, version) for status, version, _ in load.answers} == {(200, "va"), (200, "vb")}
    assert load.bodies[b'{"served": "new"}'] > 0 and load.bodies[b'{"served": "ok"}'] > 0
    # blue is gone, green is the version now; the router has no green backend left
    assert not any(_alive(pid) for pid in blue.values())
    assert list(_processes(serving, "vb")) == ["shop-vb-g2-1"]
    assert serving.routing()["buckets"] == {"be_va": 5000, "be_vb": 5000}
    cfg = (serving.runs.run_dir("serving") / "router" / "shop" / "haproxy.cfg").read_text()
    assert "be_vb_green" not in cfg
    after = [score(serving.port) for _ in range(30)]
    vb = {a.body for a in after if a.headers["x-model-version"] == "vb"}
    assert vb == {b'{"served": "new"}'}
    status = serving.status()
    assert status["versions"]["vb"]["live_share"] == 50.0

    # the same definition again: nothing to replace
    again, document = serving.apply()
    assert again.returncode == 0 and document["endpoints"]["shop"]["outcome"] == "unchanged"


def test_a_new_version_that_answers_500_is_rolled_back_and_blue_is_untouched(
    serving: ApplyRun,
) -> None:
    blue = _processes(serving, "vb")
    serving.write(_stack(_versions(50, "broken"), _bg_policy()))
    with ScoringLoad(serving.port) as load:
        result, document = serving.apply()
    assert result.returncode == 1
    message = "traffic shift rolled back: alarm 'canary-5xx' breached: 5xx_ratio of vb_green = 1"
    assert message in result.stderr and message in document["error"]
    assert load.answers[(500, "vb", "treatment")] > 0  # green failed requests, as vb
    # blue never stopped and serves all of vb again; green is gone
    assert _processes(serving, "vb") == blue and all(_alive(pid) for pid in blue.values())
    assert serving.routing()["buckets"] == {"be_va": 5000, "be_vb": 5000}
    state = serving.runs.state("serving")["endpoints"]["shop"]
    assert [r["name"] for r in state["replicas"] if r["version"] == "vb"] == ["shop-vb-1"]
    assert state["replacement"] is None
    assert not (serving.runs.run_dir("serving") / "router" / "shop" / "haproxy.cfg").read_text().count("be_vb_green")
    after = [score(serving.port) for _ in range(20)]
    assert {(a.status, a.headers["x-model-version"]) for a in after} == {(200, "va"), (200, "vb")}
    # the record still has the old definition, so the next apply tries the replacement again
    assert state["spec"]["versions"][1]["inference_config"]["entry_script"] == "models/good.py"


def test_the_termination_wait_holds_blue(serving: ApplyRun, tmp_path: Path) -> None:
    blue = _processes(serving, "vb")
    serving.write(_stack(_versions(50, "new"), _bg_policy(termination=4)))
    process = serving.start_apply(tmp_path / "apply.log")
    try:
        _wait(lambda: (serving.shift() or {}).get("phase") == "termination",
              "the termination wait", seconds=60)
        assert all(_alive(pid) for pid in blue.values())  # all traffic on green, blue still up
        assert serving.routing()["buckets"] == {"be_va": 5000, "be_vb_green": 5000}
        # `local status` shows blue and green side by side while both run
        vb = serving.status()["versions"]["vb"]
        assert (vb["replicas"], vb["replicas_running"], vb["live_share"]) == (1, 1, 0.0)
        assert vb["green"] == {"replicas": ["shop-vb-g2-1"], "replicas_running": 1, "live_share": 50.0}
        assert process.wait(timeout=60) == 0, (tmp_path / "apply.log").read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert not any(_alive(pid) for pid in blue.values())


def test_a_killed_replacement_is_rolled_back_and_its_new_replicas_stopped_by_the_next_apply(
    serving: ApplyRun, tmp_path: Path
) -> None:
    blue = _processes(serving, "vb")
    serving.write(_stack(_versions(50, "new"), _policy("LINEAR", 50, wait=60)))
    process = serving.start_apply(tmp_path / "apply.log")
    try:
        _wait(lambda: (serving.shift() or {}).get("phase") == "step", "the first bake", seconds=60)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    green = {n: p for n, p in _processes(serving, "vb").items() if n not in blue}
    assert list(green) == ["shop-vb-g2-1"] and all(_alive(pid) for pid in green.values())
    assert serving.routing()["buckets"] == {"be_va": 5000, "be_vb": 2500, "be_vb_green": 2500}

    serving.write(_stack(_versions(50)))  # back to the old definition
    result, document = serving.apply()
    assert result.returncode == 0, result.stderr
    shop = document["endpoints"]["shop"]
    assert shop["outcome"] == "unchanged" and shop["recovered_revision"] is not None
    assert not any(_alive(pid) for pid in green.values())
    assert _processes(serving, "vb") == blue and all(_alive(pid) for pid in blue.values())
    assert serving.routing()["buckets"] == {"be_va": 5000, "be_vb": 5000}
    state = serving.runs.state("serving")["endpoints"]["shop"]
    assert state["replacement"] is None and state["shift"] is None
    cfg = (serving.runs.run_dir("serving") / "router" / "shop" / "haproxy.cfg").read_text()
    assert "be_vb_green" not in cfg


TWO_VB_REPLICAS = "              num_replicas: 2\n"


@pytest.fixture
def two_replicas(local_runs: LocalRuns, tmp_path: Path) -> Iterator[ApplyRun]:
    """vb takes half the traffic on two replicas, with no policy yet."""
    config = _stack(_versions(50, vb_flags=TWO_VB_REPLICAS))
    yield ApplyRun(local_runs, tmp_path / "stack", "pods", config)


def test_an_instance_count_canary_starts_green_with_its_pods_and_grows_it_before_the_rest(
    two_replicas: ApplyRun, tmp_path: Path
) -> None:
    run = two_replicas
    blue = _processes(run, "vb")
    assert sorted(blue) == ["shop-vb-1", "shop-vb-2"]
    policy = _policy("CANARY", 1, wait=4, alarms=ROUTER_ALARM, size_type="INSTANCE_COUNT")
    run.write(_stack(_versions(50, "new", vb_flags=TWO_VB_REPLICAS), policy))
    log = tmp_path / "apply.log"
    with ScoringLoad(run.port, max_seconds=180) as load:
        process = run.start_apply(log)
        try:
            _wait(lambda: (run.shift() or {}).get("phase") == "step", "the canary's bake", seconds=90)
            # the canary: 1 pod of vb's 2, so green has 1 replica and half of vb's traffic
            state = run.runs.state(run.stack)["endpoints"]["shop"]
            assert state["shift"]["step"] == 1
            green = [r["name"] for r in state["replicas"] if (r["version"], r["generation"]) == ("vb", 2)]
            assert green == ["shop-vb-g2-1"]
            assert run.routing()["buckets"] == {"be_va": 5000, "be_vb": 2500, "be_vb_green": 2500}
            vb = run.status()["versions"]["vb"]
            one_green = {"replicas": ["shop-vb-g2-1"], "replicas_running": 1, "live_share": 25.0}
            assert vb["green"] == one_green
            assert (vb["replicas"], vb["replicas_running"]) == (2, 2)
            assert process.wait(timeout=120) == 0, log.read_text()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
    assert load.total >= 100 and load.failures() == []
    output = log.read_text()
    planned = "blue/green replacement of vb (1 new replica(s), growing to 2): CANARY 1 of 2 pods"
    assert f"{planned} (50% of the change), then the rest" in output
    grown = "vb's new replicas grew to 2 (shop-vb-g2-2 started and in the router) for the next step"
    assert grown in output
    # green is whole (2 replicas) and is vb now; blue is gone
    assert not any(_alive(pid) for pid in blue.values())
    assert sorted(_processes(run, "vb")) == ["shop-vb-g2-1", "shop-vb-g2-2"]
    assert all(_alive(pid) for pid in _processes(run, "vb").values())
    assert run.routing()["buckets"] == {"be_va": 5000, "be_vb": 5000}
    cfg = (run.runs.run_dir(run.stack) / "router" / "shop" / "haproxy.cfg").read_text()
    assert "be_vb_green" not in cfg
    after = [score(run.port) for _ in range(30)]
    served = {(a.status, a.headers["x-model-version"], a.body) for a in after}
    assert (200, "vb", b'{"served": "new"}') in served
    assert {body for status, version, body in served if version == "vb"} == {b'{"served": "new"}'}
    vb = run.status()["versions"]["vb"]
    assert (vb["replicas"], vb["replicas_running"], vb["green"]) == (2, 2, None)


def _rolling_policy(batch: int, wait: int) -> str:
    return (
        "          deployment_config:\n"
        "            rolling_update_policy:\n"
        f"              maximum_batch_size: {{type: INSTANCE_COUNT, value: {batch}}}\n"
        f"              wait_interval_in_seconds: {wait}\n"
        "            auto_rollback_configuration:\n              alarms:\n" + ROUTER_ALARM
    )


def test_a_rolling_policy_with_alarms_walks_the_new_definition_in_batch_by_batch(
    two_replicas: ApplyRun,
) -> None:
    run = two_replicas
    blue = _processes(run, "vb")
    run.write(_stack(_versions(50, "new", vb_flags=TWO_VB_REPLICAS), _rolling_policy(1, wait=2)))
    with ScoringLoad(run.port) as load:
        result, document = run.apply()
    assert result.returncode == 0, result.stderr
    assert load.total >= 100 and load.failures() == []
    shop = document["endpoints"]["shop"]
    assert shop["outcome"] == "replaced"
    # one batch of one new replica of two takes half of vb's share and bakes, then the rest
    assert [step["traffic"] for step in shop["steps"]] == [
        {"va": 50.0, "vb": 25.0, "vb_green": 25.0},
        {"va": 50.0, "vb": 0.0, "vb_green": 50.0},
    ]
    assert "guarded rolling update, batches of 1 of 2 pods" in result.stderr
    assert "alarm canary-5xx: ok 5xx_ratio of vb_green = 0" in result.stderr
    assert not any(_alive(pid) for pid in blue.values())
    assert sorted(_processes(run, "vb")) == ["shop-vb-g2-1", "shop-vb-g2-2"]


def test_a_guarded_rolling_update_whose_first_batch_fails_is_rolled_back(two_replicas: ApplyRun) -> None:
    run = two_replicas
    blue = _processes(run, "vb")
    run.write(_stack(_versions(50, "broken", vb_flags=TWO_VB_REPLICAS), _rolling_policy(1, wait=2)))
    with ScoringLoad(run.port):
        result, _ = run.apply()
    assert result.returncode == 1
    assert "alarm 'canary-5xx' breached: 5xx_ratio of vb_green = 1" in result.stderr
    assert "at step 1 of 2" in result.stderr  # the first batch: the second never started
    assert _processes(run, "vb") == blue and all(_alive(pid) for pid in blue.values())
    assert run.routing()["buckets"] == {"be_va": 5000, "be_vb": 5000}


MODEL_SCRIPT = """
import json
import os


def init():
    global WEIGHTS
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "weights.json")) as handle:
        WEIGHTS = json.load(handle)


def run(raw_data):
    return {"weights": WEIGHTS}
"""


def _model_versions(weights: str) -> str:
    """va (good), and vb serving the model directory `weights/<weights>` as `linear`."""
    return (
        "            - name: va\n"
        "              is_default: true\n"
        "              period_seconds: 1\n"
        "              inference_config: {entry_script: models/good.py}\n"
        "            - name: vb\n"
        "              traffic_percentile: 50\n"
        "              period_seconds: 1\n"
        "              inference_config: {entry_script: models/weights.py}\n"
        "              models:\n"
        f"                - {{name: linear, version: 1, uri: weights/{weights}}}\n"
    )


def test_new_models_replace_the_version_blue_green_with_their_own_links(
    local_runs: LocalRuns, tmp_path: Path
) -> None:
    directory = tmp_path / "stack"
    files = {
        **SCRIPTS,
        "models/weights.py": MODEL_SCRIPT,
        "weights/a/weights.json": "[1, 2]",
        "weights/b/weights.json": "[3, 4]",
    }
    write_stack(directory, "weights", "config: {}\n", files)
    run = ApplyRun(local_runs, directory, "weights", _stack(_model_versions("a")))
    blue = _processes(run, "vb")
    run.write(_stack(_model_versions("b"), _bg_policy()))
    with ScoringLoad(run.port) as load:
        result, document = run.apply()
    assert result.returncode == 0, result.stderr
    assert load.total >= 50 and load.failures() == []
    assert document["endpoints"]["shop"]["outcome"] == "replaced"
    assert not any(_alive(pid) for pid in blue.values())
    after = [score(run.port) for _ in range(30)]
    assert {a.body for a in after if a.headers["x-model-version"] == "vb"} == {b'{"weights": [3, 4]}'}
    # green linked its own models; blue's links are as they were
    root = run.runs.run_dir("weights")
    assert (root / "models" / "shop" / "vb" / "linear" / "1" / "weights.json").read_text() == "[1, 2]"
    assert (root / "models-g2" / "shop" / "vb" / "linear" / "1" / "weights.json").read_text() == "[3, 4]"
