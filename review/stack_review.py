"""The review of one stack: its config at the base ref against the working tree, as a report.

Pure: two `config:` maps (or None where the file does not exist) in, a `StackReview` out. The new
config is validated exactly as the stack program validates it (`validate_stack_config`), so its
problems are the lines a preview prints; when it is invalid the report lists them and nothing
else, since no table or plan can be computed from a config the preview refuses. A valid config
is also held to the rules the providers' `check` applies against the deployed state (drain
before removing, join at 0%, the default stays, rotation counters only go up), in their words
(`specification.routing`, `specification.rotation`), with the base standing for that state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from review.auth_changes import auth_notes
from review.capacity import pool_capacity
from review.field_changes import model_changes
from review.report import EndpointReview, PlannedStepView, PoolChange, StackReview, VersionChange
from review.topology import endpoint_flowchart
from review.traffic import (
    moved_percent,
    planned_shift,
    shift_plan_problem,
    shift_policy,
    traffic_rows,
)
from review.version_updates import version_update
from specification.endpoint import EndpointSpec
from specification.node_pool import NodePoolSpec
from specification.rotation import ROTATION_COUNTERS, lowered_counter_reason
from specification.routing import default_move_reason, joining_reason, removal_reason
from specification.stack import StackSpec
from specification.stack_config import PROJECT_NAME, StackConfigError, validate_stack_config

__all__ = ["Config", "review_stack"]

Config = Mapping[str, object]
# Endpoint fields shown in their own sections rather than as field changes.
_OWN_SECTIONS = frozenset({"versions"})


def _validated(config: Config | None) -> tuple[StackSpec | None, tuple[str, ...]]:
    if config is None:
        return None, ()
    try:
        return validate_stack_config(config), ()
    except StackConfigError as error:
        return None, tuple((error.problems or str(error)).splitlines())


def _endpoint_review(
    before: EndpointSpec | None, after: EndpointSpec | None, pools: list[NodePoolSpec]
) -> EndpointReview:
    if after is None:
        assert before is not None
        return EndpointReview(
            name=before.name,
            change="removed",
            versions_removed=tuple(v.name for v in before.versions),
            traffic=traffic_rows(before, None),
            default_before=before.default_version,
            control_before=before.control_version,
        )
    added = EndpointReview(
        name=after.name,
        change="added",
        versions_added=tuple(v.name for v in after.versions),
        traffic=traffic_rows(before, after),
        default_after=after.default_version,
        control_after=after.control_version,
        shift_policy=shift_policy(after),
        auth=auth_notes(before, after),
        topology=endpoint_flowchart(after, pools),
    )
    if before is None:
        return added
    old_versions = {v.name: v for v in before.versions}
    new_versions = {v.name: v for v in after.versions}
    changed = tuple(
        VersionChange(name, changes, version_update(before, after, name, changes))
        for name, version in new_versions.items()
        if name in old_versions
        for changes in [tuple(model_changes(old_versions[name], version))]
        if changes
    )
    endpoint_changes = tuple(model_changes(before, after, exclude=_OWN_SECTIONS))
    routing_moves = before.routing != after.routing
    # membership alone (a version joining or leaving at 0%) moves no traffic: nothing to step
    traffic_moves = moved_percent(before.routing, after.routing) > 0 or (
        before.default_version,
        before.control_version,
    ) != (after.default_version, after.control_version)
    anything = bool(
        changed or endpoint_changes or routing_moves or set(old_versions) != set(new_versions)
    )
    return replace(
        added,
        change="changed" if anything else "unchanged",
        versions_added=tuple(name for name in new_versions if name not in old_versions),
        versions_removed=tuple(name for name in old_versions if name not in new_versions),
        versions_changed=changed,
        endpoint_changes=endpoint_changes,
        default_before=before.default_version,
        control_before=before.control_version,
        moved_percent=moved_percent(before.routing, after.routing),
        planned_steps=_planned_steps(before, after) if traffic_moves else (),
    )


def _planned_steps(before: EndpointSpec, after: EndpointSpec) -> tuple[PlannedStepView, ...]:
    """The planned steps, or none for a change that cannot be planned (an error of its own,
    `_endpoint_transition_problems`)."""
    try:
        return planned_shift(before, after)
    except ValueError:
        return ()


def _pool_changes(before: StackSpec | None, after: StackSpec) -> tuple[PoolChange, ...]:
    old = before.pools_by_name if before is not None else {}
    new = after.pools_by_name
    changes: list[PoolChange] = []
    for name, pool in new.items():
        if name not in old:
            changes.append(PoolChange(name, "added"))
        elif old[name] != pool:
            changes.append(PoolChange(name, "changed", tuple(model_changes(old[name], pool))))
    changes += [PoolChange(name, "removed") for name in old if name not in new]
    return tuple(changes)


def _endpoint_transition_problems(before: EndpointSpec, after: EndpointSpec, path: str) -> list[str]:
    """The rules a preview checks against the deployed state, with the base standing for it: a
    version leaves drained, joins at 0%, the default stays, rotation counters only go up."""
    problems: list[str] = []
    old_table, new_table = before.routing, after.routing
    old_names = [v.name for v in before.versions]
    new_names = [v.name for v in after.versions]
    reasons = [removal_reason(name, old_table) for name in old_names if name not in new_names]
    reasons.append(
        default_move_reason(
            before.default_version, after.default_version, new_names, after.is_default_set
        )
    )
    reasons += [joining_reason(name, new_table) for name in new_names if name not in old_names]
    problems += [f"{path}.versions: {reason}" for reason in reasons if reason is not None]
    for counter in ROTATION_COUNTERS:
        reason = lowered_counter_reason(counter, getattr(before, counter), getattr(after, counter))
        if reason is not None:
            problems.append(f"{path}.{counter}: {reason}")
    plan = shift_plan_problem(before, after)  # a size in pods against the gaining fleet
    if plan is not None:
        problems.append(f"{path}.{plan}")
    return problems


def _transition_problems(before: StackSpec | None, after: StackSpec) -> tuple[str, ...]:
    if before is None:
        return ()
    old = {endpoint.name: endpoint for endpoint in before.endpoints}
    problems: list[str] = []
    for index, endpoint in enumerate(after.endpoints):
        if endpoint.name in old:
            path = f"{PROJECT_NAME}:endpoints[{index}]"
            problems += _endpoint_transition_problems(old[endpoint.name], endpoint, path)
    return tuple(problems)


def review_stack(
    stack: str, config_file: str, base: Config | None, head: Config | None
) -> StackReview:
    """The review of `stack` from its config at the base (`base`; None: the file is new) to
    the working tree's (`head`; None: the file is deleted)."""
    before, base_problems = _validated(base)
    base_note = None
    if base is None:
        base_note = "the stack's config is new: everything in it is added"
    elif base_problems:
        base_note = "the config at the base is invalid, so everything is shown as added"
    if head is None:
        return StackReview(
            stack, config_file, base_note="the stack's config file is deleted",
            endpoints=tuple(
                _endpoint_review(endpoint, None, []) for endpoint in (before.endpoints if before else [])
            ),
        )
    after, errors = _validated(head)
    if after is None:
        return StackReview(stack, config_file, base_note=base_note, errors=errors)
    errors = _transition_problems(before, after)
    old = {endpoint.name: endpoint for endpoint in before.endpoints} if before is not None else {}
    new_names = {endpoint.name for endpoint in after.endpoints}
    endpoints = [_endpoint_review(old.get(e.name), e, after.node_pools) for e in after.endpoints]
    endpoints += [_endpoint_review(e, None, []) for name, e in old.items() if name not in new_names]
    return StackReview(
        stack,
        config_file,
        base_note=base_note,
        errors=errors,
        endpoints=tuple(endpoints),
        pools=_pool_changes(before, after),
        capacity=pool_capacity(before, after),
    )
