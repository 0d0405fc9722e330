"""Retained weights through the SDK's provider server, as the engine drives a TrafficSplit: an
update keeps the live table, the preview shows it (no planned step, the kept shares), and
excluding DesiredWeight walks to the declared table again."""

from __future__ import annotations

from typing import Any

from pulumi.runtime.proto import provider_pb2

from offline.program import run_under_mocks
from provider.split_retention import effective_split, live_split
from provider.split_rules import TrafficSplitInputs
from provider.traffic_split import TrafficSplit, TrafficSplitArgs
from tests.provider.provider_server import ProviderClient
from tests.specs import endpoint, version

SOME, NONE = provider_pb2.DiffResponse.DIFF_SOME, provider_pb2.DiffResponse.DIFF_NONE


def split(shares: dict[str, Any], retain: bool | None = True, **extra: Any) -> dict[str, Any]:
    inputs = {"shares": shares, "default_version": "versiona", **extra}
    if retain is not None:
        inputs["retain_weights"] = retain
    return inputs


def _created(client: ProviderClient, inputs: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    checked = client.check({}, inputs)
    assert checked.failures == {}
    id_, outputs = client.create(checked.inputs)
    return id_, checked.inputs, outputs


def test_a_create_applies_the_declared_table(client: ProviderClient) -> None:
    _, inputs, outputs = _created(client, split({"versiona": 70, "versionb": 30}))
    assert outputs["effective_traffic"] == {"versiona": 70.0, "versionb": 30.0}
    assert "retained_shares" not in inputs and inputs["planned_steps"] == []


def test_an_update_keeps_the_live_table_and_the_preview_says_so(client: ProviderClient) -> None:
    id_, inputs, outputs = _created(client, split({"versiona": 90, "versionb": 10}))
    declared = split({"versiona": 50, "versionb": 50})
    checked = client.check(inputs, declared)
    assert checked.failures == {}
    # the preview: the declared shares, no step to walk, and the live shares kept
    assert checked.inputs["shares"] == {"versiona": 50.0, "versionb": 50.0}
    assert checked.inputs["planned_steps"] == []
    assert checked.inputs["retained_shares"] == {"versiona": 90.0, "versionb": 10.0}
    assert client.diff(id_, outputs, checked.inputs) == NONE
    # were it updated anyway (another input changed), the routers keep their table
    updated = client.update(id_, outputs, checked.inputs)
    assert updated["effective_traffic"] == {"versiona": 90.0, "versionb": 10.0}
    assert updated["revision"] == outputs["revision"]


def test_the_live_table_survives_successive_retained_updates(client: ProviderClient) -> None:
    id_, inputs, outputs = _created(client, split({"versiona": 90, "versionb": 10}))
    first = client.check(inputs, split({"versiona": 60, "versionb": 40})).inputs
    second = client.check(first, split({"versiona": 20, "versionb": 80}))
    assert second.inputs["retained_shares"] == {"versiona": 90.0, "versionb": 10.0}
    assert second.inputs["planned_steps"] == []


def test_a_new_version_joins_at_zero_while_weights_are_retained(client: ProviderClient) -> None:
    id_, inputs, outputs = _created(client, split({"versiona": 90, "versionb": 10}))
    checked = client.check(inputs, split({"versiona": 50, "versionb": 30, "versionc": 20}))
    assert checked.failures == {}
    assert checked.inputs["retained_shares"] == {"versiona": 90.0, "versionb": 10.0, "versionc": 0.0}
    assert client.diff(id_, outputs, checked.inputs) == SOME  # the table gains a version
    updated = client.update(id_, outputs, checked.inputs)
    assert updated["effective_traffic"] == {"versiona": 90.0, "versionb": 10.0, "versionc": 0.0}


def test_a_version_with_live_traffic_cannot_leave_while_weights_are_retained(client: ProviderClient) -> None:
    _, inputs, _ = _created(client, split({"versiona": 80, "versionb": 20}))
    drained = client.check(inputs, split({"versiona": 100, "versionb": 0}))
    assert drained.inputs["retained_shares"] == {"versiona": 80.0, "versionb": 20.0}
    refused = client.check(drained.inputs, split({"versiona": 100}))
    # (the removal rule's own refusal is reported on `shares` too; this client keeps one per field)
    message = refused.failures["shares"]
    assert message.startswith("version 'versionb' holds 20% of the live traffic and weights are retained")
    assert "{variant_property_type: DesiredWeight} in exclude_retained_variant_properties" in message


def test_excluding_desired_weight_walks_to_the_declared_table(client: ProviderClient) -> None:
    id_, inputs, outputs = _created(client, split({"versiona": 90, "versionb": 10}))
    kept = client.check(inputs, split({"versiona": 60, "versionb": 40})).inputs
    applied = client.check(kept, split({"versiona": 60, "versionb": 40}, retain=None))
    assert applied.failures == {}
    # planned from the live table (90/10), not from the declared shares last recorded (60/40)
    assert applied.inputs["planned_steps"] == [{"versiona": 60.0, "versionb": 40.0}]
    assert "retained_shares" not in applied.inputs
    assert client.diff(id_, outputs, applied.inputs) == SOME
    updated = client.update(id_, outputs, applied.inputs)
    assert updated["effective_traffic"] == {"versiona": 60.0, "versionb": 40.0}


def test_live_and_effective_splits() -> None:
    old = TrafficSplitInputs(
        shares={"versiona": 50, "versionb": 50},
        default_version="versiona",
        retained_shares={"versiona": 90, "versionb": 10},
    )
    assert live_split(old).shares == {"versiona": 90, "versionb": 10}
    new = TrafficSplitInputs(shares={"versiona": 0, "versionb": 100}, default_version="versiona")
    assert effective_split(old, new) == new
    retained = new.model_copy(update={"retain_weights": True})
    assert effective_split(old, retained).shares == {"versiona": 90, "versionb": 10}
    assert effective_split(None, retained) == retained


def test_the_endpoint_sends_retain_weights_only_when_it_retains() -> None:
    plain = endpoint(version("versiona"))
    assert TrafficSplitArgs.from_endpoint(plain).retain_weights is None
    counts_only = endpoint(
        version("versiona"),
        retain_all_variant_properties=True,
        exclude_retained_variant_properties=[{"variant_property_type": "DesiredWeight"}],
    )
    assert TrafficSplitArgs.from_endpoint(counts_only).retain_weights is None
    retained = endpoint(version("versiona"), retain_all_variant_properties=True)
    graph = run_under_mocks(lambda: TrafficSplit("ep-traffic", TrafficSplitArgs.from_endpoint(retained)))
    assert graph.named("ep-traffic").inputs["retain_weights"] is True
