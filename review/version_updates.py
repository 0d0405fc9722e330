"""How a changed version reaches its pods, in a review: replaced blue/green, rolled, or neither.

A version whose pod template changes is a new serving definition: under a guarding policy the
TrafficSplit replaces it blue/green (or, for a rolling policy with alarms, batch by batch through
the router); otherwise Kubernetes rolls its Deployment. The review cannot render the pod template
(the manifests are a layer above it), so it knows which of a version's fields never reach the
template (`TEMPLATE_NEUTRAL_FIELDS`: routing, scaling, the router's own limits, metadata); a
test holds that list to what the manifests do, field by field. The other rules are the
TrafficSplit's: a version at 0%, or one whose port or health path moves, rolls in place.
"""

from __future__ import annotations

from collections.abc import Sequence

from review.field_changes import FieldChange
from rollout.capacity import declared_fleet
from rollout.replacement import plan_replacement
from specification.endpoint import EndpointSpec

__all__ = ["TEMPLATE_NEUTRAL_FIELDS", "version_update"]

# Fields of a version that never change its Deployment's pod template.
TEMPLATE_NEUTRAL_FIELDS = frozenset(
    {
        "traffic_percentile",
        "is_default",
        "is_control_version_type",
        "autoscale_enabled",
        "autoscale_min_replicas",
        "autoscale_max_replicas",
        "autoscale_refresh_seconds",
        "autoscale_target_utilization",
        "num_replicas",
        "replica_max_concurrent_requests",
        "max_request_wait_time",
        "tags",
        "properties",
        "description",
    }
)
# A move of these is a replacement the routers cannot probe yet: the version rolls in place.
_PROBED_FIELDS = ("port", "health_path")


def version_update(
    before: EndpointSpec, after: EndpointSpec, name: str, changes: Sequence[FieldChange]
) -> str | None:
    """What `pulumi up` does with the pods of version `name`, changed by `changes`: None when no
    change reaches its pod template, else one line."""
    fields = {change.path.split(".", 1)[0] for change in changes}
    reaching = sorted(fields - TEMPLATE_NEUTRAL_FIELDS)
    if not after.version(name).models:  # the models' volume is sized only when there are models
        reaching = [field for field in reaching if field != "models_disk_gb"]
    if not reaching:
        return None
    config = after.deployment_config
    rolling = config.rolling_update_policy if config is not None else None
    native = (
        f"Kubernetes rolls its Deployment in batches of {rolling.maximum_batch_size.value}"
        f"{'%' if rolling.maximum_batch_size.type == 'CAPACITY_PERCENT' else ' pods'}"
        if rolling is not None
        else "Kubernetes rolls its Deployment, one new pod at a time"
    )
    why = f"new {', '.join(reaching)}"
    if config is None or not config.guards_version_updates:
        return f"{why}: {native} (no guarding policy)"
    share = before.routing.steps.get(name, 0)
    if share == 0:
        return f"{why}: {native} (it takes no weighted traffic)"
    moved = [field for field in _PROBED_FIELDS if field in fields]
    if moved:
        return f"{why}: {native}, since the routers probe its old {' and '.join(moved)}"
    try:
        plan = plan_replacement(
            before.routing,
            name,
            declared_fleet(after.version(name)),
            config.blue_green_update_policy,
            config.rolling_update_policy,
        )
    except ValueError as error:
        return f"{why}: cannot be replaced: {error}"
    kind = "blue/green" if config.blue_green_update_policy is not None else "batch by batch (guarded rolling)"
    steps = len(plan.steps)
    return (
        f"{why}: replaced {kind}, new pods beside the old ones "
        f"({plan.green_pods[0]} to start), its traffic moved onto them in {steps} "
        f"step{'s' if steps != 1 else ''}"
    )
