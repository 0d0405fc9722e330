"""The pure planner: stack spec in, replicas (ports, scripts, env) and the router config out."""

from __future__ import annotations

import re
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from credentials.api_keys import api_key_sha256
from credentials.endpoint_credentials import new_endpoint_credentials
from local_runtime.errors import LocalRunError
from local_runtime.planner import LocalPlan, plan_local_run, plan_version_replicas, replica_count
from local_runtime.run_directory import RunLayout
from specification.stack import StackSpec
from specification.stack_config import LoadedStack, load_stack

PROJECT = Path(__file__).resolve().parents[2]
RUN_DIR = Path("/runs/dev")
COLLECT = Path("/opt/model-endpoints/scoring/collect.py")


def _stack(endpoints: list[dict[str, Any]], source_dir: Path = Path("/src")) -> LoadedStack:
    spec = StackSpec.model_validate({"endpoints": endpoints})
    return LoadedStack("dev", source_dir / "Pulumi.dev.yaml", source_dir, spec)


def _version(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "inference_config": {"entry_script": f"models/{name}.py"}, **fields}


def _plan(stack: LoadedStack, scoring_port: int = 8080, **options: Any) -> LocalPlan:
    credentials = {e.name: new_endpoint_credentials(e) for e in stack.spec.endpoints}
    return plan_local_run(
        stack,
        credentials,
        layout=RunLayout(RUN_DIR),
        scoring_port=scoring_port,
        ports=count(20000),
        collect_script=COLLECT,
        socket_fallback_dir=Path("/tmp"),
        **options,
    )


def test_dev_stack_plan_is_one_replica_per_version_behind_a_loopback_router() -> None:
    stack = load_stack("dev", PROJECT / "stacks" / "Pulumi.dev.yaml")
    credentials = {e.name: new_endpoint_credentials(e) for e in stack.spec.endpoints}
    plan = plan_local_run(
        stack,
        credentials,
        layout=RunLayout(RUN_DIR),
        scoring_port=8080,
        ports=count(20000),
        collect_script=None,
        socket_fallback_dir=Path("/tmp"),
    )
    (endpoint,) = plan.endpoints
    assert endpoint.url == "http://127.0.0.1:8080/score"
    assert endpoint.traffic == {"versiona": 90.0, "versionb": 10.0}
    assert [(r.name, r.port) for r in plan.replicas] == [
        ("mynewendpoint-versiona-1", 20000),
        ("mynewendpoint-versionb-1", 20001),
    ]
    assert endpoint.metrics_port == 20002
    assert endpoint.agent_port == 20003
    assert endpoint.routing_dir == RUN_DIR / "router" / "mynewendpoint" / "routing"
    assert endpoint.routing_url == "http://127.0.0.1:20002/routing"  # through the router
    versiona = plan.replicas[0]
    assert versiona.entry_script == PROJECT / "stacks" / "models" / "versiona" / "score.py"
    assert versiona.app_root == versiona.entry_script.parent
    assert versiona.env == {
        "AML_APP_ROOT": str(versiona.app_root),
        "AZUREML_MODEL_DIR": str(RUN_DIR / "models" / "mynewendpoint" / "versiona" / "fraud-classifier" / "1"),
    }
    assert plan.requirement_sets() == ((),)

    cfg = endpoint.router.haproxy_cfg
    assert set(re.findall(r"bind (\S+):", cfg)) == {"127.0.0.1"}  # loopback only
    assert "server r1 127.0.0.1:20000 maxconn 1 check inter 10s" in cfg
    assert "server r1 127.0.0.1:20001 maxconn 1" in cfg
    assert "\n    nbthread 1\n" in cfg  # one thread: maxconn holds strictly (router/model.py)
    assert "option httpchk GET /" in cfg
    assert f"map({RUN_DIR}/router/mynewendpoint/apikeys.map)" in cfg
    assert f"map_int({RUN_DIR}/router/mynewendpoint/routing/split.map,be_versiona)" in cfg
    assert "server agent 127.0.0.1:20003" in cfg  # /routing on the metrics port: the agent
    assert "0:8999 be_versiona\n9000:9999 be_versionb\n" in endpoint.router.split_map
    assert f'jwt_verify("ES256","{RUN_DIR}/router/mynewendpoint/jwt-public.pem")' in cfg
    assert "acl jwt_aud var(txn.jwt),jwt_payload_query('$.aud') -m str mynewendpoint" in cfg
    keys = credentials["mynewendpoint"]
    assert (
        keys.primary_key
        and api_key_sha256(keys.primary_key) in endpoint.router.map_files["apikeys.map"]
    )
    assert keys.primary_key not in endpoint.router.map_files["apikeys.map"]


def test_replicas_follow_num_replicas_or_the_autoscaling_minimum() -> None:
    stack = _stack(
        [
            {
                "name": "ep",
                "versions": [
                    _version("fixed", num_replicas=3),
                    _version("auto", autoscale_min_replicas=2, autoscale_max_replicas=5),
                    _version("plain"),
                ],
            }
        ]
    )
    plan = _plan(stack)
    counts = {v.name: replica_count(v) for v in stack.spec.endpoints[0].versions}
    assert counts == {"fixed": 3, "auto": 2, "plain": 1}
    assert [r.name for r in plan.replicas] == [
        "ep-fixed-1",
        "ep-fixed-2",
        "ep-fixed-3",
        "ep-auto-1",
        "ep-auto-2",
        "ep-plain-1",
    ]
    ports = [r.port for r in plan.replicas] + [plan.endpoints[0].metrics_port]
    ports.append(plan.endpoints[0].agent_port)
    assert len(set(ports)) == len(ports)
    assert plan.endpoints[0].router.haproxy_cfg.count("server r3 ") == 1


def test_a_replacement_plans_the_green_replicas_it_asks_for_numbered_after_those_it_has() -> None:
    """A green sized in pods starts its first replicas, then the next numbers before a step."""
    stack = _stack([{"name": "ep", "versions": [_version("fixed", num_replicas=3)]}])
    endpoint = stack.spec.endpoints[0]
    ports = count(31000)

    def plan(numbers: range | None) -> list[tuple[str, int]]:
        replicas = plan_version_replicas(
            stack, endpoint, endpoint.versions[0], layout=RunLayout(RUN_DIR),
            next_port=lambda: next(ports), collect_script=None, qualified_data_files=False,
            generation=2, numbers=numbers,
        )
        return [(r.name, r.index) for r in replicas]

    assert plan(range(1, 2)) == [("ep-fixed-g2-1", 1)]
    assert plan(range(2, 4)) == [("ep-fixed-g2-2", 2), ("ep-fixed-g2-3", 3)]
    assert plan(None) == [("ep-fixed-g2-1", 1), ("ep-fixed-g2-2", 2), ("ep-fixed-g2-3", 3)]


def test_endpoints_take_consecutive_scoring_ports_that_no_replica_gets() -> None:
    stack = _stack(
        [
            {"name": "one", "versions": [_version("v1")]},
            {"name": "two", "versions": [_version("v1")]},
        ]
    )
    plan = plan_local_run(
        stack,
        {e.name: new_endpoint_credentials(e) for e in stack.spec.endpoints},
        layout=RunLayout(RUN_DIR),
        scoring_port=20000,
        ports=count(20000),
        collect_script=None,
        socket_fallback_dir=Path("/tmp"),
    )
    assert [e.port for e in plan.endpoints] == [20000, 20001]
    drawn = [r.port for r in plan.replicas] + [
        port for e in plan.endpoints for port in (e.metrics_port, e.agent_port)
    ]
    assert sorted(drawn) == list(range(20002, 20008))  # each drawn once, no scoring port
    assert [p for p, _ in plan.listening_ports()].count(20000) == 1


def test_image_only_versions_are_skipped_and_their_share_goes_to_the_default() -> None:
    stack = _stack(
        [
            {
                "name": "ep",
                "versions": [
                    _version("local", traffic_percentile=20),
                    {
                        "name": "boxed",
                        "image": "registry.example.com/m:1",
                        "traffic_percentile": 30,
                    },
                ],
            }
        ]
    )
    plan = _plan(stack)
    (endpoint,) = plan.endpoints
    assert [(s.version, s.image) for s in endpoint.skipped] == [
        ("boxed", "registry.example.com/m:1")
    ]
    assert endpoint.traffic == {"local": 100.0}
    assert stack.spec.endpoints[0].effective_traffic() == {"local": 70.0, "boxed": 30.0}
    assert "be_boxed" not in endpoint.router.haproxy_cfg  # a pinned request to it gets 400


def test_image_only_versions_fail_the_plan_when_asked() -> None:
    stack = _stack(
        [
            {
                "name": "ep",
                "versions": [_version("local"), {"name": "boxed", "image": "r.example/m:1"}],
            }
        ]
    )
    with pytest.raises(
        LocalRunError, match=r"ep/boxed \(image r.example/m:1\).*--on-image-version skip"
    ):
        _plan(stack, on_image_version="fail")


def test_a_stack_of_image_versions_only_cannot_run_locally() -> None:
    stack = load_stack("gpu", PROJECT / "stacks" / "Pulumi.gpu.yaml")
    with pytest.raises(
        LocalRunError,
        match=r"vision/resnet-gpu .*vision/resnet-fpga .*no version of the stack is left",
    ):
        _plan(stack)


def test_an_endpoint_of_image_versions_only_is_skipped_whole() -> None:
    stack = _stack(
        [
            {"name": "boxed", "versions": [{"name": "v1", "image": "r.example/m:1"}]},
            {"name": "local", "versions": [_version("v1")]},
        ]
    )
    plan = _plan(stack)
    assert plan.skipped_endpoints == ("boxed",)
    assert [e.name for e in plan.endpoints] == ["local"]
    assert plan.endpoints[0].port == 8081  # its place in the config keeps its port


def test_model_data_collection_serves_the_wrapper_with_its_environment() -> None:
    stack = _stack(
        [{"name": "ep", "versions": [_version("v1", collect_model_data=True), _version("v2")]}]
    )
    plan = _plan(stack)
    collecting, plain = plan.replicas
    assert collecting.entry_script == COLLECT
    assert collecting.user_script == Path("/src/models/v1.py")
    assert collecting.env == {
        "AML_APP_ROOT": "/src/models",
        "MODEL_ENDPOINTS_ENTRY_SCRIPT": "/src/models/v1.py",
        "MODEL_ENDPOINTS_VERSION": "v1",
        "MODEL_ENDPOINTS_MODEL_DATA_FILE": f"{RUN_DIR}/model-data/v1.jsonl",
    }
    assert plain.entry_script == Path("/src/models/v2.py")
    assert "MODEL_ENDPOINTS_VERSION" not in plain.env


def test_collection_without_the_wrapper_is_refused() -> None:
    stack = _stack([{"name": "ep", "versions": [_version("v1", collect_model_data=True)]}])
    with pytest.raises(LocalRunError, match="v1 has collect_model_data on"):
        plan_local_run(
            stack,
            {"ep": new_endpoint_credentials(stack.spec.endpoints[0])},
            layout=RunLayout(RUN_DIR),
            scoring_port=8080,
            ports=count(20000),
            collect_script=None,
            socket_fallback_dir=Path("/tmp"),
        )


def test_same_named_versions_of_two_endpoints_collect_into_separate_files() -> None:
    stack = _stack(
        [
            {"name": "one", "versions": [_version("v1", collect_model_data=True)]},
            {"name": "two", "versions": [_version("v1", collect_model_data=True)]},
        ]
    )
    files = {r.env["MODEL_ENDPOINTS_MODEL_DATA_FILE"] for r in _plan(stack).replicas}
    assert files == {f"{RUN_DIR}/model-data/one-v1.jsonl", f"{RUN_DIR}/model-data/two-v1.jsonl"}


def test_version_env_and_requirements_reach_the_replica() -> None:
    stack = _stack(
        [
            {
                "name": "ep",
                "versions": [
                    _version("v1", env={"MODEL_SIZE": "small"}),
                    {
                        **_version("v2"),
                        "inference_config": {
                            "entry_script": "models/v2.py",
                            "requirements": ["numpy>=1.26"],
                        },
                    },
                ],
            }
        ]
    )
    plan = _plan(stack)
    assert plan.replicas[0].env["MODEL_SIZE"] == "small"
    assert plan.requirement_sets() == ((), ("numpy>=1.26",))


def _plan_in(run_dir: Path, socket_dir: Path) -> LocalPlan:
    stack = _stack([{"name": "ep", "versions": [_version("v1")]}])
    return plan_local_run(
        stack,
        {"ep": new_endpoint_credentials(stack.spec.endpoints[0])},
        layout=RunLayout(run_dir),
        scoring_port=8080,
        ports=count(20000),
        collect_script=None,
        socket_fallback_dir=socket_dir,
    )


def test_a_deep_run_directory_gets_a_short_admin_socket_in_the_private_directory() -> None:
    plan = _plan_in(Path("/" + "deep/" * 20 + "runs/dev"), Path("/tmp/model-endpoints-1000"))
    assert re.fullmatch(
        r"/tmp/model-endpoints-1000/[0-9a-f]{16}\.sock", plan.endpoints[0].router.admin_socket
    )
    assert _plan_in(Path("/runs/dev"), Path("/tmp/x")).endpoints[0].router.admin_socket == (
        "/runs/dev/router/ep/admin.sock"
    )


def test_a_request_log_socket_haproxy_would_refuse_moves_both_sockets_too() -> None:
    """HAProxy 2.6 takes at most 97 bytes for a log socket: an admin socket that fits the kernel's
    107 but whose request log beside it would not fit HAProxy's 97 moves as well."""
    run_dir = Path("/" + "r" * 69 + "/dev")  # .../router/ep/admin.sock: 95 bytes; the log: 104
    assert len(str(run_dir / "router/ep/admin.sock")) == 95
    plan = _plan_in(run_dir, Path("/tmp/model-endpoints-1000"))
    router = plan.endpoints[0].router
    assert router.admin_socket.startswith("/tmp/model-endpoints-1000/")
    assert router.request_log_socket == router.admin_socket.removesuffix(".sock") + ".requests.sock"
    assert "log /tmp/model-endpoints-1000/" in router.haproxy_cfg


def test_a_request_log_socket_longer_than_haproxy_takes_is_refused() -> None:
    from router.model import RouterSettings

    with pytest.raises(ValueError, match="longer than HAProxy takes for a log socket \\(97 bytes\\)"):
        RouterSettings(admin_socket="/" + "s" * 85 + ".sock")  # its log: 99 bytes
    assert RouterSettings(admin_socket="/" + "s" * 85 + ".sock", request_log=False).request_log is False


def test_an_admin_socket_that_fits_nowhere_is_a_clear_error() -> None:
    deep = Path("/" + "deep/" * 20 + "runs/dev")
    with pytest.raises(LocalRunError, match="a UNIX socket path holds at most 107 bytes"):
        _plan_in(deep, Path("/" + "tmp/" * 25 + "model-endpoints-1000"))


def test_a_run_directory_the_router_config_cannot_hold_is_a_clear_error() -> None:
    stack = _stack([{"name": "ep", "versions": [_version("v1")]}])
    with pytest.raises(LocalRunError, match="set MODEL_ENDPOINTS_RUN_DIR to a plain path"):
        plan_local_run(
            stack,
            {"ep": new_endpoint_credentials(stack.spec.endpoints[0])},
            layout=RunLayout(Path("/home/my user/runs/dev")),
            scoring_port=8080,
            ports=count(20000),
            collect_script=None,
            socket_fallback_dir=Path("/tmp"),
        )


def test_an_entry_script_linked_out_of_the_stack_directory_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "v1.py"
    outside.parent.mkdir()
    outside.write_text("def init(): pass\ndef run(data): return data\n")
    stack_dir = tmp_path / "stack"
    (stack_dir / "models").mkdir(parents=True)
    (stack_dir / "models" / "v1.py").symlink_to(outside)
    with pytest.raises(LocalRunError) as raised:
        _plan(_stack([{"name": "ep", "versions": [_version("v1")]}], source_dir=stack_dir))
    assert str(raised.value) == (
        "version v1 of endpoint ep: inference_config.entry_script 'models/v1.py' resolves to "
        f"{outside.resolve()}, outside the stack's directory {stack_dir.resolve()} (through a "
        "symbolic link): the file must be inside that directory"
    )


def test_an_entry_script_linked_inside_the_stack_directory_is_served_from_its_target(
    tmp_path: Path,
) -> None:
    (tmp_path / "models" / "releases").mkdir(parents=True)
    (tmp_path / "models" / "releases" / "v1-2.py").write_text("")
    (tmp_path / "models" / "v1.py").symlink_to(tmp_path / "models" / "releases" / "v1-2.py")
    plan = _plan(_stack([{"name": "ep", "versions": [_version("v1")]}], source_dir=tmp_path))
    assert plan.replicas[0].user_script == tmp_path.resolve() / "models" / "releases" / "v1-2.py"


def test_models_are_planned_from_local_uri_else_uri_under_azureml_model_dir() -> None:
    stack = _stack(
        [
            {
                "name": "ep",
                "versions": [
                    _version("one", models=[{"name": "iris", "version": 3, "uri": "artifacts/iris"}]),
                    _version(
                        "two",
                        models=[
                            {"name": "iris", "version": 3, "uri": "file:///srv/iris"},
                            {
                                "name": "resnet",
                                "version": 7,
                                "uri": "pvc://store/resnet/7",
                                "local_uri": "https://models.example.com/resnet/7/model.onnx",
                            },
                        ],
                    ),
                ],
            }
        ]
    )
    plan = _plan(stack)
    env = {r.version: r.env["AZUREML_MODEL_DIR"] for r in plan.replicas}
    assert env == {
        "one": str(RUN_DIR / "models" / "ep" / "one" / "iris" / "3"),
        "two": str(RUN_DIR / "models" / "ep" / "two"),
    }
    by_link = {m.link.relative_to(RUN_DIR / "models" / "ep"): m for m in plan.models}
    assert by_link[Path("one/iris/3")].local_path == Path("/src/artifacts/iris")
    assert by_link[Path("two/iris/3")].local_path == Path("/srv/iris")
    remote = by_link[Path("two/resnet/7")]
    assert remote.local_path is None and remote.source.startswith("https://models.example.com/")


def test_a_claim_without_a_local_uri_cannot_run_locally() -> None:
    stack = _stack(
        [{"name": "ep", "versions": [_version("one", models=[{"name": "m", "version": 1, "uri": "pvc://store/m/1"}])]}]
    )
    with pytest.raises(LocalRunError, match=r"version one of endpoint ep: models\[0\]\.uri 'pvc://store/m/1' is a claim"):
        _plan(stack)
