"""The endpoint status derived from plain inputs: every status value of seed 003 with its
meaning, the conditions and their reasons, desired against current weights and replicas, the
pending deployment, the failure reason and the last modified time, and the JSON form."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from rollout.endpoint_status import CONDITION_TYPES, ENDPOINT_STATUS_MEANINGS, EndpointStatus
from rollout.shift_progress import LastFailure, ShiftProgress
from rollout.status_derivation import (
    ReplicaCounts,
    RouterReport,
    StatusInputs,
    WrittenTable,
    derive_endpoint_status,
)
from specification.routing import routing_table

DESIRED = routing_table({"versiona": 20, "versionb": 10}, "versiona")  # 90 / 10
START = routing_table({"versiona": 100, "versionb": 0}, "versiona")
STEP_1 = {"versiona": 95.0, "versionb": 5.0}
T0 = "2025-03-01T10:00:00.000+00:00"


def router(name: str = "router-0", revision: int | None = 4, **kwargs: Any) -> RouterReport:
    return RouterReport(name, True, revision, kwargs.pop("applied_at", "2025-03-01T10:05:00.000+00:00"), **kwargs)


def silent(name: str = "router-0", error: str = "connection refused") -> RouterReport:
    return RouterReport(name, False, None, None, error)


def healthy(**changes: Any) -> StatusInputs:
    """An endpoint at rest: two routers serving revision 4, the desired table, every replica up."""
    inputs = StatusInputs(
        endpoint="mynewendpoint",
        desired=DESIRED,
        written=WrittenTable(4, DESIRED.traffic),
        routers=(router("router-0"), router("router-1")),
        replicas={"versiona": ReplicaCounts(2, 2), "versionb": ReplicaCounts(1, 1)},
        created_at=T0,
    )
    return replace(inputs, **changes)


def shift(**changes: Any) -> ShiftProgress:
    progress = ShiftProgress(
        started_at="2025-03-01T11:00:00.000+00:00",
        step=1,
        step_count=2,
        phase="step",
        start=START.traffic,
        target=DESIRED.traffic,
        percent_of_change=50.0,
        revision=5,
        next_step_at="2025-03-01T11:05:00.000+00:00",
        wait_seconds=300,
    )
    return replace(progress, **changes)


def derive(**changes: Any) -> EndpointStatus:
    return derive_endpoint_status(healthy(**changes))


def condition(status: EndpointStatus, type_: str) -> tuple[str, str, str]:
    found = status.condition(type_)
    assert found is not None, type_
    return found.status, found.reason, found.message


# ------------------------------------------------------------------------------- InService


def test_at_rest_the_endpoint_is_in_service_with_desired_equal_to_current() -> None:
    status = derive()
    assert status.endpoint_status == "InService"
    rows = [
        (v.name, v.desired_weight, v.current_weight, v.desired_replicas, v.current_replicas)
        for v in status.versions
    ]
    assert rows == [
        ("versiona", 90.0, 90.0, 2, 2),
        ("versionb", 10.0, 10.0, 1, 1),
    ]
    assert [v.is_default for v in status.versions] == [True, False]
    assert [c.type for c in status.conditions] == list(CONDITION_TYPES[:4])
    assert all(c.status == "True" for c in status.conditions)
    assert condition(status, "RoutingApplied")[2] == "every router (2) serves revision 4"
    assert status.failure_reason is None and status.pending_deployment is None
    assert status.routing_revision == 4


def test_a_router_that_does_not_answer_beside_one_that_serves_leaves_the_endpoint_in_service() -> None:
    status = derive(routers=(router("router-0"), silent("router-1", "pod is Pending")))
    assert status.endpoint_status == "InService"
    assert condition(status, "RoutingApplied") == (
        "False",
        "RoutersNotAnswering",
        "router-1 does not answer (pod is Pending)",
    )
    assert status.versions[0].current_weight == 90.0  # a silent router serves nothing


def test_a_rolled_back_shift_leaves_the_endpoint_in_service_with_its_failure_reason() -> None:
    reason = "traffic shift rolled back: alarm 'errors' breached"
    failure = LastFailure(reason, "2025-03-01T11:02:00.000+00:00", "rolled_back")
    status = derive(last_failure=failure)
    assert status.endpoint_status == "InService"
    assert status.failure_reason == failure.reason
    assert condition(status, "LastShift") == ("False", "RolledBack", f"at {failure.at}: {failure.reason}")
    assert status.last_modified_time == failure.at


def test_a_replica_that_exited_beside_one_that_serves_is_a_condition_not_a_failure() -> None:
    status = derive(replicas={"versiona": ReplicaCounts(2, 1, exited=1), "versionb": ReplicaCounts(1, 1)})
    assert status.endpoint_status == "InService"
    assert condition(status, "ReplicasReady") == ("False", "ReplicasExited", "versiona: 1 of 2 replicas exited")


# ------------------------------------------------------------------------------- Creating


def test_a_run_that_is_starting_is_creating() -> None:
    status = derive(creating=True, routers=(silent(),), replicas={})
    assert status.endpoint_status == "Creating"
    assert condition(status, "Ready") == ("False", "Creating", "the router and replicas are starting")


def test_routers_that_applied_no_table_yet_are_creating() -> None:
    status = derive(routers=(router("router-0", None), router("router-1", None)))
    assert status.endpoint_status == "Creating"
    assert condition(status, "RoutingApplied")[:2] == ("False", "NoTableApplied")
    assert all(v.current_weight is None for v in status.versions)


# ------------------------------------------------------------------------------- Updating


def test_a_running_shift_is_updating_with_its_pending_deployment() -> None:
    written = WrittenTable(5, STEP_1)
    status = derive(shift=shift(), written=written, routers=(router("router-0", 5), router("router-1", 5)))
    assert status.endpoint_status == "Updating"
    assert status.pending_deployment is not None
    assert status.pending_deployment.to_json() == {
        "step": 1,
        "step_count": 2,
        "phase": "step",
        "started_at": "2025-03-01T11:00:00.000+00:00",
        "next_step_at": "2025-03-01T11:05:00.000+00:00",
        "percent_of_change": 50.0,
        "target_weights": {"versiona": 90.0, "versionb": 10.0},
    }
    assert [(v.desired_weight, v.current_weight) for v in status.versions] == [(90.0, 95.0), (10.0, 5.0)]
    assert condition(status, "WeightsAtDesired")[:2] == ("False", "ShiftInProgress")
    assert "step 1 of 2 of a traffic shift: 50% of the change toward versiona 90%, versionb 10%" in condition(
        status, "WeightsAtDesired"
    )[2]
    assert status.failure_reason is None
    assert status.last_modified_time == "2025-03-01T11:00:00.000+00:00"


def test_a_shift_holds_updating_even_when_a_router_refused_its_table() -> None:
    refused = router("router-1", 4, error="backend be_versionc unknown")
    status = derive(
        shift=shift(phase="catch_up"),
        written=WrittenTable(5, STEP_1),
        routers=(router("router-0", 5), refused),
    )
    assert status.endpoint_status == "Updating"  # the engine rolls back on its timeout
    assert condition(status, "RoutingApplied")[:2] == ("False", "RouterRefusedTable")


def test_routers_catching_up_with_a_new_revision_are_updating_and_the_current_weight_unknown() -> None:
    status = derive(written=WrittenTable(5, DESIRED.traffic), routers=(router("router-0", 5), router("router-1", 4)))
    assert status.endpoint_status == "Updating"
    assert condition(status, "RoutingApplied") == ("False", "RoutersBehind", "router-1 serves revision 4, not 5")
    assert [v.current_weight for v in status.versions] == [None, None]
    assert "router-1 serves revision 4, not 5" in condition(status, "Ready")[2]


def test_replicas_scaling_up_are_updating() -> None:
    status = derive(replicas={"versiona": ReplicaCounts(4, 2), "versionb": ReplicaCounts(1, 1)})
    assert status.endpoint_status == "Updating"
    assert condition(status, "ReplicasReady") == ("False", "Scaling", "versiona: 2 of 4 replicas ready")
    assert status.versions[0].desired_replicas == 4 and status.versions[0].current_replicas == 2


def test_a_written_table_that_is_not_the_desired_one_is_updating() -> None:
    """In a cluster: `up` wrote a new table the outputs do not carry yet."""
    status = derive(written=WrittenTable(5, STEP_1), routers=(router("router-0", 5),))
    assert status.endpoint_status == "Updating"
    assert condition(status, "WeightsAtDesired") == (
        "False",
        "NotAtDesired",
        "the routers' table (versiona 95%, versionb 5%) is not the desired one (versiona 90%, versionb 10%)",
    )


# ------------------------------------------------------------------------------- Retained


def test_a_retained_live_table_is_not_at_desired_but_in_service() -> None:
    """Desired is the declared table, current the live one the routers keep."""
    status = derive(
        written=WrittenTable(5, STEP_1), routers=(router("router-0", 5),), retained=("DesiredWeight",)
    )
    assert status.endpoint_status == "InService"
    versiona = status.versions[0]
    assert (versiona.desired_weight, versiona.current_weight) == (90.0, 95.0)
    assert condition(status, "WeightsAtDesired") == (
        "False",
        "Retained",
        "the routers keep their live table (versiona 95%, versionb 5%) instead of the declared "
        "one (versiona 90%, versionb 10%): weights are retained (retain_all_variant_properties); "
        "add {variant_property_type: DesiredWeight} to exclude_retained_variant_properties to "
        "apply the declared table",
    )
    assert condition(status, "Retained") == (
        "True",
        "LiveValuesKept",
        "DesiredWeight retained, live values kept instead of declared ones: weights: live "
        "versiona 95%, versionb 5%, declared versiona 90%, versionb 10%",
    )


def test_a_retained_replica_count_shows_beside_the_declared_one() -> None:
    replicas = {"versiona": ReplicaCounts(5, 5, declared=2), "versionb": ReplicaCounts(1, 1, declared=1)}
    status = derive(replicas=replicas, retained=("DesiredInstanceCount", "DesiredWeight"))
    assert status.endpoint_status == "InService"
    versiona = status.versions[0]
    assert (versiona.declared_replicas, versiona.desired_replicas, versiona.current_replicas) == (2, 5, 5)
    assert versiona.to_json()["declared_replicas"] == 2
    assert condition(status, "Retained") == (
        "True",
        "LiveValuesKept",
        "DesiredInstanceCount and DesiredWeight retained, live values kept instead of declared "
        "ones: replicas of versiona: live 5, declared 2",
    )


def test_retention_without_a_difference_says_so_and_none_without_retention() -> None:
    status = derive(retained=("DesiredWeight",))
    assert condition(status, "Retained") == (
        "True",
        "NoDifference",
        "DesiredWeight retained; every live value is the declared one",
    )
    assert derive().condition("Retained") is None
    # without retention the same live table is an update still to come
    unretained = derive(written=WrittenTable(5, STEP_1), routers=(router("router-0", 5),))
    assert unretained.endpoint_status == "Updating"


# ------------------------------------------------------------------------------- RollingBack


def test_a_shift_writing_its_start_back_is_rolling_back_toward_the_start() -> None:
    reason = "alarm 'errors' breached: 5xx ratio 0.5 > 0.01 at step 1 of 2"
    status = derive(
        shift=shift(phase="rolling_back", reason=reason, next_step_at=None, revision=6),
        written=WrittenTable(6, START.traffic),
        routers=(router("router-0", 6),),
    )
    assert status.endpoint_status == "RollingBack"
    assert status.failure_reason == reason
    assert [v.desired_weight for v in status.versions] == [100.0, 0.0]  # desired: the starting table
    assert condition(status, "WeightsAtDesired")[:2] == ("True", "AtDesired")
    assert condition(status, "Ready") == ("False", "RollingBack", f"rolling a traffic shift back: {reason}")
    assert status.pending_deployment is not None and status.pending_deployment.phase == "rolling_back"


def test_the_written_start_table_not_yet_served_while_rolling_back() -> None:
    status = derive(shift=shift(phase="rolling_back", reason="timeout"), written=WrittenTable(5, STEP_1))
    assert status.endpoint_status == "RollingBack"
    assert condition(status, "WeightsAtDesired")[:2] == ("False", "RollingBack")


# ------------------------------------------------------------------------------- Failed


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"routers": ()}, "no router of the endpoint runs"),
        (
            {"routers": (silent("router-0"), silent("router-1", "timed out"))},
            "no router answers: router-0: connection refused; router-1: timed out",
        ),
        (
            {"routers": (router("router-0"), router("router-1", error="split.map line 2: bad"))},
            "router router-1 refused the table (it serves revision 4): split.map line 2: bad",
        ),
        (
            {"replicas": {"versiona": ReplicaCounts(2, 2), "versionb": ReplicaCounts(1, 0, exited=1)}},
            "version versionb has 10% of the traffic but every one of its 1 replicas exited",
        ),
        (
            {"replicas": {"versiona": ReplicaCounts(2, 2), "versionb": ReplicaCounts(0, 0)}},
            "version versionb has 10% of the traffic but asks for no replica",
        ),
    ],
    ids=["no-router", "no-router-answers", "table-refused", "replicas-exited", "scaled-to-zero"],
)
def test_what_keeps_the_endpoint_from_serving_fails_it(changes: dict[str, Any], reason: str) -> None:
    status = derive(**changes)
    assert status.endpoint_status == "Failed"
    assert status.failure_reason == reason
    assert condition(status, "Ready") == ("False", "Failed", reason)


def test_a_version_without_traffic_and_without_replicas_is_no_failure() -> None:
    table = routing_table({"versiona": 100, "versionb": 0}, "versiona")
    status = derive(
        desired=table,
        written=WrittenTable(4, table.traffic),
        replicas={"versiona": ReplicaCounts(2, 2), "versionb": ReplicaCounts(1, 0, exited=1)},
    )
    assert status.endpoint_status == "InService"


def test_a_shift_that_stopped_without_rolling_back_fails_the_endpoint() -> None:
    reason = "the shift was interrupted at step 1 of 2; local apply completes or rolls it back"
    failure = LastFailure(reason, T0, "failed")
    status = derive(last_failure=failure, written=WrittenTable(5, STEP_1), routers=(router("router-0", 5),))
    assert status.endpoint_status == "Failed"
    assert status.failure_reason == failure.reason
    assert condition(status, "LastShift")[1] == "Stopped"


def test_every_failure_is_named_in_the_failure_reason() -> None:
    status = derive(
        routers=(router("router-0", error="refused"),),
        replicas={"versiona": ReplicaCounts(2, 2), "versionb": ReplicaCounts(1, 0, exited=1)},
    )
    assert status.failure_reason == (
        "router router-0 refused the table (it serves revision 4): refused; "
        "version versionb has 10% of the traffic but every one of its 1 replicas exited"
    )


# ------------------------------------------------------------------------------- UpdateRollbackFailed


def test_a_rollback_that_failed_is_update_rollback_failed() -> None:
    reason = "routers' state unknown: the shift failed (...) and rolling back failed: timed out"
    status = derive(
        last_failure=LastFailure(reason, "2025-03-01T11:09:00.000+00:00", "rollback_failed"),
        written=WrittenTable(6, START.traffic),
        routers=(router("router-0", 6), router("router-1", 5)),
    )
    assert status.endpoint_status == "UpdateRollbackFailed"
    assert status.failure_reason == reason
    assert condition(status, "LastShift")[:2] == ("False", "RollbackFailed")
    assert condition(status, "Ready")[:2] == ("False", "UpdateRollbackFailed")


def test_a_new_shift_after_a_failed_rollback_reports_the_new_shift() -> None:
    failure = LastFailure("rolling back failed", T0, "rollback_failed")
    status = derive(last_failure=failure, shift=shift())
    assert status.endpoint_status == "Updating" and status.failure_reason is None


# ------------------------------------------------------------------------------- the rest


def test_every_status_value_has_a_meaning() -> None:
    assert set(ENDPOINT_STATUS_MEANINGS) == {
        "Creating",
        "Updating",
        "InService",
        "RollingBack",
        "Failed",
        "UpdateRollbackFailed",
    }
    assert "written back" in ENDPOINT_STATUS_MEANINGS["RollingBack"]
    assert "mix of the old and new" in ENDPOINT_STATUS_MEANINGS["UpdateRollbackFailed"]


def test_unknown_replica_counts_say_why() -> None:
    missing = ReplicaCounts(None, None, problem="Deployment 'e-versiona' not found")
    status = derive(replicas={"versiona": missing, "versionb": ReplicaCounts(1, 1)})
    assert condition(status, "ReplicasReady") == (
        "False",
        "ReplicaCountsUnknown",
        "versiona: Deployment 'e-versiona' not found",
    )
    assert status.versions[0].desired_replicas is None and status.versions[0].current_replicas is None
    assert status.endpoint_status == "InService"
    none_known = derive(replicas={})
    assert condition(none_known, "ReplicasReady")[:2] == ("Unknown", "ReplicaCountsUnknown")


def test_an_unknown_written_table_leaves_weights_unknown() -> None:
    status = derive(written=None)
    assert condition(status, "RoutingApplied")[:2] == ("Unknown", "TableUnknown")
    assert condition(status, "WeightsAtDesired")[:2] == ("Unknown", "TableUnknown")
    assert [v.current_weight for v in status.versions] == [None, None]
    assert status.endpoint_status == "Updating" and status.routing_revision is None


def test_versions_only_in_the_written_table_or_the_replicas_are_listed() -> None:
    status = derive(
        written=WrittenTable(4, {**DESIRED.traffic, "versionc": 0.0}),
        replicas={v: ReplicaCounts(1, 1) for v in ("versiona", "versionb", "versiond")},
    )
    assert [v.name for v in status.versions] == ["versiona", "versionb", "versionc", "versiond"]
    assert status.versions[2].desired_weight == 0.0 and status.versions[2].current_weight == 0.0


def test_the_last_modified_time_is_the_latest_change_seen() -> None:
    status = derive(
        routers=(
            router("router-0", applied_at="2025-03-01T12:00:00+00:00"),
            router("router-1", applied_at="2025-03-01T12:00:01.500+00:00"),
        )
    )
    assert status.last_modified_time == "2025-03-01T12:00:01.500+00:00"
    assert derive(routers=(silent(),), created_at=None).last_modified_time is None
    assert derive(routers=(router(applied_at="not a time"),)).last_modified_time == T0
    assert status.creation_time == T0


def test_the_json_form_is_snake_case_and_round_trips_through_json() -> None:
    document = derive(shift=shift(), last_failure=LastFailure("x", T0, "rolled_back")).to_json()
    assert json.loads(json.dumps(document)) == document
    assert set(document) == {
        "endpoint_name",
        "endpoint_status",
        "failure_reason",
        "creation_time",
        "last_modified_time",
        "routing_revision",
        "versions",
        "pending_deployment",
        "conditions",
        "routers",
    }
    assert document["versions"]["versionb"] == {
        "is_default": False,
        "desired_weight": 10.0,
        "current_weight": 10.0,
        "desired_replicas": 1,
        "current_replicas": 1,
        "declared_replicas": None,
    }
    assert document["conditions"][-1]["type"] == "LastShift"
    assert document["routers"][0] == {
        "name": "router-0",
        "answered": True,
        "revision": 4,
        "applied_at": "2025-03-01T10:05:00.000+00:00",
        "error": None,
    }


def test_a_routing_answer_becomes_a_router_report() -> None:
    answer = {"revision": 3, "applied_at": T0, "error": None}
    assert RouterReport.from_answer("r", answer) == RouterReport("r", True, 3, T0, None)
    odd = {"revision": True, "applied_at": 5, "error": ValueError("refused")}
    assert RouterReport.from_answer("r", odd) == RouterReport("r", True, None, None, "refused")
    assert RouterReport.from_answer("r", {}) == RouterReport("r", True)
