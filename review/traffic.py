"""An endpoint's traffic before and after a change: the table rows, the share of traffic that
moves (`rollout.moved_percent`) and the steps the move is planned in (`rollout.plan_steps`), as
the TrafficSplit computes both; a policy sized in pods (INSTANCE_COUNT) is converted with the
declared pods of the versions gaining share (`rollout.shift_step_percents`), as `local apply`
converts it.
"""

from __future__ import annotations

from review.report import PlannedStepView, TrafficRow
from rollout import moved_percent, plan_steps, shift_step_percents
from specification.endpoint import EndpointSpec

__all__ = ["moved_percent", "planned_shift", "shift_plan_problem", "shift_policy", "traffic_rows"]


def _roles(spec: EndpointSpec | None, version: str) -> tuple[str, ...]:
    if spec is None or version not in {v.name for v in spec.versions}:
        return ()
    roles = ("default",) if version == spec.default_version else ()
    return roles + (("control",) if version == spec.control_version else ("treatment",))


def traffic_rows(before: EndpointSpec | None, after: EndpointSpec | None) -> tuple[TrafficRow, ...]:
    """One row per version of either spec: the versions of `after` in order, then those removed."""
    names = [v.name for v in after.versions] if after is not None else []
    names += [v.name for v in before.versions if v.name not in names] if before is not None else []
    configured_before = {v.name: v.traffic_percentile for v in before.versions} if before else {}
    configured_after = {v.name: v.traffic_percentile for v in after.versions} if after else {}
    effective_before = before.effective_traffic() if before is not None else {}
    effective_after = after.effective_traffic() if after is not None else {}
    return tuple(
        TrafficRow(
            version=name,
            configured_before=configured_before.get(name),
            configured_after=configured_after.get(name),
            effective_before=effective_before.get(name),
            effective_after=effective_after.get(name),
            roles_before=_roles(before, name),
            roles_after=_roles(after, name),
        )
        for name in names
    )


def shift_policy(spec: EndpointSpec) -> str | None:
    """The endpoint's deployment policy in a few words, or None without one."""
    config = spec.deployment_config
    routing = config.traffic_routing_configuration if config is not None else None
    if config is None or routing is None:
        return None
    size = ""
    if routing.size is not None:
        count = routing.size.value
        pods = f" {count} pod{'s' if count != 1 else ''}" if routing.counts_instances else ""
        size = pods or f" {count}%"
    rollback = config.auto_rollback_configuration
    alarms = [alarm.alarm_name for alarm in (rollback.alarms or [])] if rollback is not None else []
    alarm_text = f"alarms {', '.join(alarms)}" if alarms else "no alarm (no automatic rollback)"
    return f"{routing.type}{size}, bake {routing.wait_interval_in_seconds} s after each step, {alarm_text}"


def planned_shift(before: EndpointSpec, after: EndpointSpec) -> tuple[PlannedStepView, ...]:
    """The steps from `before`'s table to `after`'s under `after`'s policy (none: one step).
    ValueError (field path first) when a size in pods breaks its rule for the gaining fleet."""
    config = after.deployment_config
    policy = config.blue_green_update_policy if config is not None else None
    routing = policy.traffic_routing_configuration if policy is not None else None
    percents = shift_step_percents(policy, before.routing, after.routing, after.versions)
    steps = plan_steps(before.routing, after.routing, routing, percents=percents)
    return tuple(
        PlannedStepView(step.traffic, step.percent_of_change, step.wait_seconds) for step in steps
    )


def shift_plan_problem(before: EndpointSpec, after: EndpointSpec) -> str | None:
    """Why the change cannot be planned (`deployment_config...canary_size.value: ...`), or None."""
    try:
        planned_shift(before, after)
    except ValueError as error:
        return str(error)
    return None
