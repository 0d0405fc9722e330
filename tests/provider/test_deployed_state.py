"""Stacks deployed with earlier code still refresh and update.

`tests/fixtures/deployed_state.json` holds what such a stack's state holds, recorded from the code
before the structure change (commit c29c8c3): each dynamic provider's pickled `__provider` (a
reference to its class by module path), a TrafficSplit's inputs and outputs as the engine stores
them (numbers as floats), and the URNs the example stacks registered. Changing a provider's
module path, a type token or a resource name makes these tests fail.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2

from offline.program import run_stack
from provider.traffic_split import TrafficSplitProvider
from specification.routing import RoutingTable
from tests.example_stacks import example_config
from tests.provider.provider_server import ProviderClient, ProviderServer

RECORDED = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "deployed_state.json").read_text()
)
NONE = provider_pb2.DiffResponse.DIFF_NONE


@pytest.mark.parametrize("path", sorted(RECORDED["providers"]))
def test_recorded_providers_unpickle_to_todays_classes(path: str) -> None:
    """The engine hands the recorded `__provider` to the provider process, which unpickles it."""
    import base64

    import dill

    provider = dill.loads(base64.b64decode(RECORDED["providers"][path]))
    module, _, name = path.rpartition(".")
    assert (type(provider).__module__, type(provider).__name__) == (module, name)
    # ...and today's code pickles to the very same reference, so `__provider` shows no diff.
    assert serialize_provider(type(provider)()) == RECORDED["providers"][path]


@pytest.fixture
def split_client(provider_server: ProviderServer) -> ProviderClient:
    client = ProviderClient(provider_server, TrafficSplitProvider(), "TrafficSplit")
    client.configure()
    return client


def test_a_recorded_split_shows_no_change_and_updates(split_client: ProviderClient) -> None:
    """Today's program sends `is_default_set` too; the recorded state has no such input."""
    recorded: dict[str, Any] = RECORDED["traffic_split"]
    news = {**recorded["inputs"], "is_default_set": False}
    checked = split_client.check(recorded["inputs"], news)
    assert checked.failures == {}
    assert split_client.diff("id", recorded["outputs"], checked.inputs) == NONE
    moved = split_client.check(recorded["inputs"], {**news, "shares": {"versiona": 0, "versionb": 40}})
    updated = split_client.update("id", recorded["outputs"], moved.inputs)
    assert updated["effective_traffic"] == {"versiona": 60.0, "versionb": 40.0}
    assert updated["revision"] == 2


def test_a_recorded_split_with_todays_shift_inputs_still_shows_no_change(split_client: ProviderClient) -> None:
    """Today's program also sends the endpoint, its policy and alarms and the stack's cluster
    credentials; the recorded inputs and outputs have none of them. Same routing: no change, and
    no step planned."""
    recorded: dict[str, Any] = RECORDED["traffic_split"]
    news = {
        **recorded["inputs"],
        "is_default_set": False,
        "endpoint": "mynewendpoint",
        "namespace": "mynewendpoint",
        "blue_green_update_policy": {
            "traffic_routing_configuration": {
                "type": "CANARY",
                "canary_size": {"type": "CAPACITY_PERCENT", "value": 10},
                "wait_interval_in_seconds": 300,
            }
        },
        "alarms": {"canary-5xx": {"metric": "5xx_ratio", "threshold": 0.01}},
        "kubeconfig": "/home/ci/.kube/config",
        "kube_context": "prod",
    }
    checked = split_client.check(recorded["inputs"], news)
    assert checked.failures == {}
    assert checked.inputs["planned_steps"] == []
    assert split_client.diff("id", recorded["outputs"], checked.inputs) == NONE


def test_the_router_reads_its_table_from_recorded_outputs() -> None:
    """A split that is not updated keeps its recorded outputs; the router is rendered from them."""
    outputs = RECORDED["traffic_split"]["outputs"]
    table = RoutingTable.from_steps(
        outputs["effective_steps"], outputs["default_version"], outputs["control_version"]
    )
    assert table.traffic == outputs["effective_traffic"]
    assert table.treatments == outputs["treatments"]


@pytest.mark.parametrize("stack", ["dev", "gpu"])
def test_the_example_stacks_register_the_recorded_urns(stack: str) -> None:
    """Same type tokens, names and parents: no resource of a deployed stack is replaced or
    deleted (new resources may join)."""
    graph = run_stack(example_config(stack))
    missing = set(RECORDED["urns"][stack]) - {resource.urn for resource in graph.resources}
    assert missing == set()
