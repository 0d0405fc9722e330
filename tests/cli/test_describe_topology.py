"""`describe --topology`: each endpoint as a Mermaid flowchart, with the share its routers serve.

Runs against the deployed-stack fixtures of `test_describe_stack` (a fake `pulumi` and a fake API
server whose routers serve a table), from a project directory holding the stack's config.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from cli.main import main
from offline.program import STACKS_DIR
from review.topology import router_id, version_id
from router.split import render_split_map
from router_agent.routing_dir import routing_files
from specification.routing import routing_table
from tests.cli.test_describe_stack import ENDPOINT, NAMESPACE, SPEC, cluster, stack  # noqa: F401
from tests.credentials.fake_pulumi import FakePulumi
from tests.kube_adapter.fake_api_server import FakeApiServer
from tests.review.test_topology import parse_flowchart


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "project"
    (directory / "stacks").mkdir(parents=True)
    shutil.copy(STACKS_DIR.parent / "Pulumi.yaml", directory / "Pulumi.yaml")
    config = {"config": {"model-endpoints:endpoints": [SPEC.model_dump(mode="json")]}}
    (directory / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    monkeypatch.chdir(directory)
    return directory


def test_the_json_carries_a_flowchart_with_the_served_shares(
    stack: FakePulumi, project: Path, cluster: FakeApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["describe", "--stack", "dev", "--json", "--topology"]) == 0
    endpoint = json.loads(capsys.readouterr().out)["endpoints"][ENDPOINT]
    graph = parse_flowchart(endpoint["topology"])
    router = router_id(ENDPOINT)
    assert sorted(graph.edges) == [
        (router, "10%", version_id(ENDPOINT, "v2")),
        (router, "90%", version_id(ENDPOINT, "v1")),
    ]


def test_a_live_step_shows_in_the_picture_and_text_mode_prints_it(
    stack: FakePulumi, project: Path, cluster: FakeApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    step = routing_table({"v1": 80, "v2": 20}, "v1")
    cluster.change_config_map(NAMESPACE, "fraud-router-routing", routing_files(render_split_map(step), 4))
    for pod in ("fraud-router-7d9f-aaaaa", "fraud-router-7d9f-bbbbb"):
        cluster.pod_http[(NAMESPACE, pod, 8405, "/routing")] = (
            200,
            json.dumps({"revision": 4, "applied_at": "2025-03-01T10:00:00.000+00:00", "error": None}),
        )
    assert main(["describe", "--stack", "dev", "--topology"]) == 0
    err = capsys.readouterr().err
    picture = err[err.index("```mermaid\n") + len("```mermaid\n") : err.rindex("```")]
    edges = parse_flowchart(picture).edges
    assert (router_id(ENDPOINT), "80%", version_id(ENDPOINT, "v1")) in edges


def test_without_the_stack_s_config_it_fails_naming_the_file(
    stack: FakePulumi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bare").mkdir()
    shutil.copy(STACKS_DIR.parent / "Pulumi.yaml", tmp_path / "bare" / "Pulumi.yaml")
    monkeypatch.chdir(tmp_path / "bare")
    assert main(["describe", "--stack", "dev", "--topology"]) == 1
    assert "has no config file" in capsys.readouterr().err
