"""The Mermaid flowchart parses as a flowchart with the expected nodes and edges.

A small parser reads the three statement forms the renderer may emit (a node with its label, an
edge with its label, the header) and fails on anything else, so the checks are on the graph, not
on one example's text."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from review.topology import endpoint_flowchart, flowchart, pool_id, router_id, version_id
from specification.endpoint import EndpointSpec
from specification.node_pool import NodePoolSpec
from specification.stack import StackSpec
from specification.stack_config import validate_stack_config
from tests.example_stacks import example_config


def load_example(stack: str) -> StackSpec:
    return validate_stack_config(example_config(stack))

_ID = r"[A-Za-z][A-Za-z0-9_]*"
_LABEL = r'"([^"]*)"'
_NODE = re.compile(rf"^({_ID})(\(\[|\[\(|\[){_LABEL}(\]\)|\)\]|\])$")
_EDGE = re.compile(rf"^({_ID}) -->\|{_LABEL}\| ({_ID})$")
_SHAPES = {("([", "])"): "stadium", ("[(", ")]"): "cylinder", ("[", "]"): "box"}


@dataclass(frozen=True)
class Graph:
    nodes: dict[str, tuple[str, list[str]]]  # id -> (shape, label lines)
    edges: list[tuple[str, str, str]]  # (from, label, to)


def parse_flowchart(text: str) -> Graph:
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == "flowchart LR", lines[0]
    nodes: dict[str, tuple[str, list[str]]] = {}
    edges: list[tuple[str, str, str]] = []
    for line in lines[1:]:
        statement = line.strip()
        if node := _NODE.match(statement):
            ident, opening, label, closing = node.groups()
            assert ident not in nodes, f"node {ident} defined twice"
            nodes[ident] = (_SHAPES[(opening, closing)], label.split("<br/>"))
        elif edge := _EDGE.match(statement):
            edges.append((edge.group(1), edge.group(2), edge.group(3)))
        else:
            pytest.fail(f"not a flowchart statement: {line!r}")
    for source, _, target in edges:
        assert source in nodes and target in nodes, f"edge {source} -> {target} to an undefined node"
    return Graph(nodes, edges)


def test_the_gpu_stack_is_router_then_versions_then_pools() -> None:
    spec = load_example("gpu")
    graph = parse_flowchart(flowchart(spec.endpoints, spec.node_pools))
    router = router_id("vision")
    gpu, fpga = version_id("vision", "resnet-gpu"), version_id("vision", "resnet-fpga")
    assert graph.nodes[router][0] == "stadium"
    assert graph.nodes[router][1] == ["vision router", "LoadBalancer, TLS", "key + token auth"]
    assert graph.nodes[gpu] == ("box", ["resnet-gpu", "default, control", "replicas 1-4 (autoscaled)"])
    assert graph.nodes[fpga] == ("box", ["resnet-fpga", "treatment", "replicas 2"])
    assert graph.nodes[pool_id("gpu-t4")][0] == "cylinder"
    assert graph.nodes[pool_id("gpu-t4")][1][:2] == ["pool gpu-t4", "Standard_NC4as_T4_v3"]
    assert sorted(graph.edges) == sorted(
        [
            (router, "70%", gpu),
            (router, "30%", fpga),
            (gpu, "1 x nvidia.com/gpu per replica", pool_id("gpu-t4")),
            (fpga, "1 x xilinx.com/fpga-xilinx_u250_gen3x16_xdma_shell_2_1-0 per replica", pool_id("fpga-u250")),
        ]
    )


def test_shares_given_replace_the_configured_ones_and_cpu_versions_have_no_pool() -> None:
    spec = load_example("dev")
    (endpoint,) = spec.endpoints
    graph = parse_flowchart(endpoint_flowchart(endpoint, [], {"versiona": 70, "versionb": 30}))
    router = router_id("mynewendpoint")
    assert {(s, label, t) for s, label, t in graph.edges} == {
        (router, "70%", version_id("mynewendpoint", "versiona")),
        (router, "30%", version_id("mynewendpoint", "versionb")),
    }
    assert len(graph.nodes) == 3


def test_a_pool_shared_by_endpoints_is_one_node_and_names_never_collide() -> None:
    pool = NodePoolSpec(name="gpu-a", sku="g5.12xlarge", max_nodes=2)
    endpoints = [
        EndpointSpec.model_validate(
            {
                "name": name,
                "router": {"service_type": "NodePort", "allow_plaintext_credentials": True},
                "versions": [
                    {"name": "a-b", "image": "registry.example.com/m:1", "node_pool": "gpu-a", "gpu_cores": 2, "autoscale_max_replicas": 2},
                    {"name": "a", "image": "registry.example.com/m:1", "traffic_percentile": 50},
                ],
            }
        )
        for name in ("one", "one-b")
    ]
    graph = parse_flowchart(flowchart(endpoints, [pool]))
    pool_edges = [edge for edge in graph.edges if edge[2] == pool_id("gpu-a")]
    assert [edge[1] for edge in pool_edges] == ["2 x nvidia.com/gpu per replica"] * 2
    assert len([n for n in graph.nodes if n.startswith("pool_")]) == 1
    assert len(graph.nodes) == 2 * 3 + 1
    assert graph.nodes[router_id("one-b")][1][1] == "NodePort, no TLS"


def test_the_parser_refuses_what_is_not_a_flowchart() -> None:
    with pytest.raises(AssertionError):
        parse_flowchart("graph TD\n  a --> b\n")
    with pytest.raises(pytest.fail.Exception):
        parse_flowchart('flowchart LR\n  a["x"]\n  a --> b; click a call\n')


def test_free_text_in_a_label_cannot_break_out_of_it() -> None:
    sku = {
        "name": "custom-1",
        "accelerator": "gpu",
        "accelerators_per_node": 2,
        "accelerator_model": 'A "big" <b>GPU</b> #1\nnext',
        "resource_name": "example.com/gpu",
        "device_plugin": "none",
    }
    pool = NodePoolSpec(name="custom", sku=sku, max_nodes=1)  # type: ignore[arg-type]
    endpoint = EndpointSpec.model_validate(
        {
            "name": "e",
            "versions": [
                {"name": "v1", "image": "registry.example.com/m:1", "node_pool": "custom", "gpu_cores": 1, "num_replicas": 1}
            ],
        }
    )
    graph = parse_flowchart(endpoint_flowchart(endpoint, [pool]))
    (line,) = [label for label in graph.nodes[pool_id("custom")][1] if "big" in label]
    assert line == "1 node x 2 A #quot;big#quot; #60;b#62;GPU#60;/b#62; #35;1 next = 2 example.com/gpu"
