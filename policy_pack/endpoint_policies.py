"""The five rules of the model-endpoints policy pack, as validate functions and their policies.

Each validate function reads one registered resource's checked inputs (what the engine sends a
policy during `pulumi preview --policy-pack`), so each can be tested with the SDK's own
`ResourceValidationArgs`, without a policy pack server. Messages name the field to set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from policy_settings import SCHEMAS, is_production, setting
from registered_resources import (
    DEPLOYMENT,
    ENDPOINT_RECORD,
    SERVICE,
    TRAFFIC_SPLIT,
    component,
    containers,
    stack_of,
)

__all__ = [
    "POLICIES",
    "check_gpu_version_limits",
    "check_guarded_traffic_shift",
    "check_production_endpoint_auth",
    "check_public_endpoint_tls",
    "check_version_liveness_probe",
]

PUBLIC_SERVICE_TYPES = ("LoadBalancer", "NodePort")


def check_production_endpoint_auth(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """A production endpoint (by stack name or tag) takes API keys or tokens."""
    if args.resource_type != ENDPOINT_RECORD:
        return
    props = args.props
    tags = props.get("tags") or {}
    why = is_production(stack_of(args.urn), tags, args.stack_tags, args.get_config())
    if why is None:
        return
    if not props.get("auth_enabled") and not props.get("token_auth_enabled"):
        report_violation(
            f"endpoint {args.name.removesuffix('-record')!r} is production ({why}) but takes "
            "requests without a credential: set auth_enabled: true (API keys) or "
            "token_auth_enabled: true (signed tokens)",
            None,
        )


def check_public_endpoint_tls(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """A router Service reachable from outside the cluster terminates TLS."""
    if args.resource_type != SERVICE or component(args.props) != "router":
        return
    spec = args.props.get("spec") or {}
    service_type = spec.get("type") or "ClusterIP"
    if service_type not in PUBLIC_SERVICE_TYPES:
        return
    ports = [port for port in spec.get("ports") or [] if isinstance(port, Mapping)]
    if any(port.get("name") == "https" for port in ports):
        return
    name = (args.props.get("metadata") or {}).get("name", args.name)
    report_violation(
        f"router Service {name!r} is public (type {service_type}) without TLS: set "
        "router.tls_secret_name to a kubernetes.io/tls Secret in the endpoint's namespace",
        None,
    )


def _accelerators(container: Mapping[str, Any], resources: list[str]) -> list[str]:
    asked = container.get("resources") or {}
    found: set[str] = set()
    for kind in ("requests", "limits"):
        found |= {name for name in (asked.get(kind) or {}) if name in resources}
    return sorted(found)


def check_gpu_version_limits(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """A version that asks for GPUs caps its CPU and memory, so it cannot starve its node."""
    if args.resource_type != DEPLOYMENT or component(args.props) != "model-version":
        return
    config = args.get_config()
    resources = list(setting("gpu-version-limits", config, "accelerator_resources"))
    required = list(setting("gpu-version-limits", config, "required_limits"))
    for container in containers(args.props):
        gpus = _accelerators(container, resources)
        if not gpus:
            continue
        limits = (container.get("resources") or {}).get("limits") or {}
        missing = [name for name in required if name not in limits]
        if missing:
            fields = {"cpu": "cpu_cores_limit", "memory": "memory_gb_limit"}
            to_set = ", ".join(fields.get(name, name) for name in missing)
            report_violation(
                f"version Deployment {args.name.removesuffix('-deployment')!r} asks for "
                f"{', '.join(gpus)} but its container {container.get('name')!r} sets no "
                f"{'/'.join(missing)} limit: set {to_set}",
                None,
            )


def check_version_liveness_probe(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Every version's containers have a liveness probe, so a hung model is restarted."""
    if args.resource_type != DEPLOYMENT or component(args.props) != "model-version":
        return
    for container in containers(args.props):
        if not container.get("livenessProbe"):
            report_violation(
                f"version Deployment {args.name.removesuffix('-deployment')!r}: container "
                f"{container.get('name')!r} has no liveness probe (set health_path and "
                "period_seconds on the version)",
                None,
            )


def check_guarded_traffic_shift(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """A change moving more than the threshold of all traffic walks under a deployment policy
    with at least one rollback alarm (the TrafficSplit's `moved_percent`, computed by its check)."""
    if args.resource_type != TRAFFIC_SPLIT:
        return
    props = args.props
    moved = props.get("moved_percent")
    if moved is None:
        args.not_applicable("the TrafficSplit computes no moved_percent (an older model-endpoints)")
        return
    limit = float(setting("guarded-traffic-shift", args.get_config(), "max_unguarded_shift_percent"))
    if float(moved) <= limit:
        return
    endpoint = props.get("endpoint") or args.name.removesuffix("-traffic")
    policy = props.get("blue_green_update_policy")
    alarms = props.get("alarms") or {}
    if policy and alarms:
        return
    missing = (
        "deployment_config.blue_green_update_policy and auto_rollback_configuration.alarms"
        if not policy
        else "deployment_config.auto_rollback_configuration.alarms"
    )
    report_violation(
        f"endpoint {endpoint!r}: this change moves {float(moved):g}% of all traffic, more than "
        f"{limit:g}% allowed unguarded; set {missing} (at least one alarm), so the shift is "
        "stepped and rolled back on a breach",
        None,
    )


def _policy(
    name: str, description: str, validate: Any, level: EnforcementLevel
) -> ResourceValidationPolicy:
    schema = PolicyConfigSchema(SCHEMAS[name]) if SCHEMAS[name] else None
    return ResourceValidationPolicy(name, description, validate, level, schema)


POLICIES = [
    _policy(
        "production-endpoint-auth",
        "A production endpoint (by stack name or tag) requires API key or token auth.",
        check_production_endpoint_auth,
        EnforcementLevel.MANDATORY,
    ),
    _policy(
        "public-endpoint-tls",
        "A public endpoint (LoadBalancer or NodePort router Service) terminates TLS.",
        check_public_endpoint_tls,
        EnforcementLevel.MANDATORY,
    ),
    _policy(
        "gpu-version-limits",
        "A version asking for GPUs sets CPU and memory limits.",
        check_gpu_version_limits,
        EnforcementLevel.ADVISORY,
    ),
    _policy(
        "version-liveness-probe",
        "Every version's containers have a liveness probe.",
        check_version_liveness_probe,
        EnforcementLevel.ADVISORY,
    ),
    _policy(
        "guarded-traffic-shift",
        "A change moving more than a configured share of traffic has a deployment policy with "
        "at least one rollback alarm.",
        check_guarded_traffic_shift,
        EnforcementLevel.MANDATORY,
    ),
]
