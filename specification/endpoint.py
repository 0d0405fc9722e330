"""Endpoint spec: one scoring URL with up to `max_versions` model versions behind it.

Holds the endpoint-level parameters of the seed (`auth_enabled`, `token_auth_enabled`,
`enable_app_insights`, ...) and the rules that span versions: unique names, one default, at most
one control, traffic shares that fit in 100%; and the rules that span fields, such as a PromQL
alarm needing the endpoint's `prometheus_url`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from specification.alarms import PromQLAlarm, RouterMetricAlarm
from specification.deployment_config import DeploymentConfig
from specification.names import Namespace, ResourceName
from specification.retention import (
    ExcludedVariantProperty,
    RetainableProperty,
    retained_properties,
    retention_problems,
)
from specification.rolling_update import rolling_update_problems
from specification.router import RouterSpec
from specification.routing import RoutingError, RoutingTable, routing_table
from specification.version import VersionSpec

__all__ = ["EndpointSpec", "SEED_MAX_VERSIONS", "TOKEN_ISSUER"]

SEED_MAX_VERSIONS = 6
# The `iss` claim of every endpoint's tokens: who signs them (this project, with the endpoint's key).
TOKEN_ISSUER = "model-endpoints"
RESERVED_VERSION_NAME = "router"
# A version being replaced blue/green runs its new pods as `<endpoint>-<version>-green`.
GREEN_NAME_SUFFIX = "-green"


class EndpointSpec(BaseModel):
    """An endpoint and its versions (Azure ML: `AksEndpoint`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ResourceName = Field(description="Endpoint name; Kubernetes objects are `<name>-<version>`.")
    namespace: Namespace | None = Field(
        default=None,
        description="Kubernetes namespace of the endpoint: up to 63 lowercase alphanumerics and "
        "'-', not starting or ending with '-'. Defaults to the endpoint name.",
    )
    create_namespace: bool = Field(
        default=True,
        description="Kubernetes: create the namespace. Turn off to deploy into an existing one.",
    )
    auth_enabled: bool = Field(default=True, description="Require an API key (Bearer) on requests.")
    token_auth_enabled: bool = Field(
        default=False, description="Accept signed JWTs on requests (either credential works)."
    )
    enable_app_insights: bool = Field(
        default=False, description="Request metrics and one structured log line per request."
    )
    description: str = Field(default="", description="A description of the endpoint.")
    tags: dict[str, str] = Field(default_factory=dict, description="Key-value tags.")
    properties: dict[str, str] = Field(
        default_factory=dict, description="Key-value properties; add-only after deployment."
    )
    primary_key_rotation: int = Field(
        default=0,
        ge=0,
        description="Raise by one to regenerate the primary API key (the seed's "
        "`regen_key('Primary')`); the secondary key keeps working meanwhile.",
    )
    secondary_key_rotation: int = Field(
        default=0,
        ge=0,
        description="Raise by one to regenerate the secondary API key; the primary keeps working.",
    )
    token_signing_key_rotation: int = Field(
        default=0,
        ge=0,
        description="Raise by one to replace the token-signing key pair (tokens signed with the "
        "old key stop working).",
    )
    max_versions: int = Field(
        default=SEED_MAX_VERSIONS,
        ge=1,
        description="Most versions behind the endpoint (the seed allows six).",
    )
    autoscaler: Literal["hpa", "keda"] = Field(
        default="hpa",
        description="Kubernetes: autoscaling engine for autoscaled versions. `hpa`: a "
        "HorizontalPodAutoscaler v2 on CPU utilization with the seed's fast-up/slow-down "
        "behavior. `keda`: a KEDA ScaledObject on the router's in-flight requests per version "
        "(the seed's busy-replica utilization; needs KEDA and Prometheus).",
    )
    prometheus_url: str | None = Field(
        default=None,
        pattern=r"^https?://[!-~]+$",
        description="Prometheus server that scrapes the router; required when autoscaler is `keda`.",
    )
    router: RouterSpec = Field(
        default_factory=RouterSpec,
        description="Kubernetes: the router (HAProxy) in front of the versions: Service type, "
        "TLS, replicas, resources.",
    )
    versions: list[VersionSpec] = Field(
        min_length=1, description="The model versions; the first is the default unless one sets is_default."
    )
    deployment_config: DeploymentConfig | None = Field(
        default=None,
        description="Guarded traffic shifts (SageMaker's `DeploymentConfig`): a routing change "
        "walked in CANARY or LINEAR steps, each followed by a bake, with alarms that roll it "
        "back. Unset: a routing change is made in one step. `pulumi up` walks the steps through "
        "the endpoint's live routers and fails, rolled back, when an alarm breaches. "
        "`rolling_update_policy` instead: version updates rolled by Kubernetes in batches.",
    )
    retain_all_variant_properties: bool = Field(
        default=False,
        description="The seed's `RetainAllVariantProperties` (default false): on an update of a "
        "deployed endpoint, keep the live values of the variant properties instead of the "
        "declared ones: each fixed-count version's replica count (`DesiredInstanceCount`; its "
        "Deployment keeps its `spec.replicas`) and the routing table (`DesiredWeight`; the "
        "TrafficSplit keeps the table the routers run, a new version joining at 0%). The "
        "declared values are used when the endpoint is created. An autoscaled version's count "
        "is never reset by `up`, with or without this.",
    )
    exclude_retained_variant_properties: list[ExcludedVariantProperty] = Field(
        default_factory=list,
        description="The seed's `ExcludeRetainedVariantProperties`: with "
        "retain_all_variant_properties, the properties whose declared values `up` applies "
        "anyway, e.g. `[{variant_property_type: DesiredWeight}]` to keep live replica counts "
        "but walk traffic to the declared table. `DataCaptureConfig` is refused.",
    )

    @model_validator(mode="after")
    def _check(self) -> EndpointSpec:
        names = [version.name for version in self.versions]
        repeated = sorted(name for name, count in Counter(names).items() if count > 1)
        if repeated:
            raise ValueError(f"versions: names must be unique; repeated: {', '.join(repeated)}")
        if RESERVED_VERSION_NAME in names:
            raise ValueError(
                f"versions: {RESERVED_VERSION_NAME!r} is reserved (the endpoint's router objects are "
                f"named '<endpoint>-{RESERVED_VERSION_NAME}'); rename that version"
            )
        twins = sorted(
            name
            for name in names
            if name.endswith(GREEN_NAME_SUFFIX) and name[: -len(GREEN_NAME_SUFFIX)] in names
        )
        if twins:
            raise ValueError(
                f"versions: {', '.join(repr(t) for t in twins)} would share the Kubernetes names of "
                f"the new pods of version {twins[0][: -len(GREEN_NAME_SUFFIX)]!r} while it is "
                f"replaced blue/green ('<endpoint>-<version>{GREEN_NAME_SUFFIX}'); rename that version"
            )
        if len(self.versions) > self.max_versions:
            raise ValueError(
                f"versions: {len(self.versions)} versions, more than max_versions "
                f"({self.max_versions})"
            )
        defaults = [v.name for v in self.versions if v.is_default]
        if len(defaults) > 1:
            raise ValueError(
                f"versions: exactly one version may set is_default; found {', '.join(defaults)}"
            )
        controls = [v.name for v in self.versions if v.is_control_version_type]
        if len(controls) > 1:
            raise ValueError(
                "versions: at most one version may set is_control_version_type (one control, "
                f"any number of treatments); found {', '.join(controls)}"
            )
        try:
            self.routing  # noqa: B018  # the routing table's rules (the sum) hold for the versions
        except RoutingError as error:
            raise ValueError(f"versions: {error}") from None
        if (
            (self.auth_enabled or self.token_auth_enabled)
            and self.router.public
            and not self.router.tls
            and not self.router.allow_plaintext_credentials
        ):
            raise ValueError(
                f"router: service_type {self.router.service_type} exposes the endpoint outside the "
                "cluster without TLS, so its API keys and tokens would cross the network in clear; "
                "set router.tls_secret_name to a kubernetes.io/tls Secret in the endpoint's "
                "namespace, or, if TLS ends in front of the router, set "
                "router.allow_plaintext_credentials: true"
            )
        if self.autoscaler == "keda" and not self.prometheus_url:
            raise ValueError("prometheus_url is required when autoscaler is 'keda'")
        if not self.prometheus_url:
            self._check_promql_alarms_have_a_prometheus()
        if not self.router.request_times:
            self._check_latency_alarms_have_request_times()
        problems = retention_problems(
            self.retain_all_variant_properties, self.exclude_retained_variant_properties
        )
        rolling = self.deployment_config.rolling_update_policy if self.deployment_config else None
        if rolling is not None:
            problems += rolling_update_problems(rolling, self.versions)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def retained_properties(self) -> tuple[RetainableProperty, ...]:
        """The variant properties whose live values an update keeps (`DesiredInstanceCount`,
        `DesiredWeight`), none unless retain_all_variant_properties is set."""
        return retained_properties(
            self.retain_all_variant_properties, self.exclude_retained_variant_properties
        )

    @property
    def retains_weights(self) -> bool:
        """Whether an update keeps the live routing table instead of the declared one."""
        return "DesiredWeight" in self.retained_properties

    @property
    def retains_instance_counts(self) -> bool:
        """Whether an update keeps fixed-count versions' live replica counts."""
        return "DesiredInstanceCount" in self.retained_properties

    def _check_latency_alarms_have_request_times(self) -> None:
        config = self.deployment_config
        rollback = config.auto_rollback_configuration if config is not None else None
        alarms = rollback.alarms if rollback is not None and rollback.alarms else []
        for index, alarm in enumerate(alarms):
            if isinstance(alarm, RouterMetricAlarm) and alarm.metric == "p99_latency_ms":
                raise ValueError(
                    f"deployment_config.auto_rollback_configuration.alarms[{index}] "
                    f"({alarm.alarm_name!r}): a p99_latency_ms alarm reads the request times the "
                    "router logs, and router.request_times is false; set it to true or use "
                    "another alarm"
                )

    def _check_promql_alarms_have_a_prometheus(self) -> None:
        config = self.deployment_config
        rollback = config.auto_rollback_configuration if config is not None else None
        alarms = rollback.alarms if rollback is not None and rollback.alarms else []
        for index, alarm in enumerate(alarms):
            if isinstance(alarm, PromQLAlarm):
                raise ValueError(
                    f"deployment_config.auto_rollback_configuration.alarms[{index}] "
                    f"({alarm.alarm_name!r}): a PromQL alarm needs prometheus_url, the Prometheus "
                    "server it queries; set prometheus_url or use a router metric alarm (metric: "
                    "5xx_ratio or p99_latency_ms)"
                )

    @property
    def object_names(self) -> list[str]:
        """Names of the endpoint's Kubernetes workloads in its namespace (versions and router)."""
        return [f"{self.name}-{v.name}" for v in self.versions] + [
            f"{self.name}-{RESERVED_VERSION_NAME}"
        ]

    @property
    def effective_namespace(self) -> str:
        return self.namespace or self.name

    @property
    def default_version(self) -> str:
        """The version that receives unassigned traffic: the flagged one, else the first listed.

        The seed keeps the first version *created* as the default until `is_default` moves it;
        with no flag set, a deployed endpoint's TrafficSplit remembers its default and refuses a
        reorder that would move it."""
        return next((v.name for v in self.versions if v.is_default), self.versions[0].name)

    @property
    def is_default_set(self) -> bool:
        """Whether a version sets `is_default` (else the first listed is the default)."""
        return any(v.is_default for v in self.versions)

    @property
    def control_version(self) -> str | None:
        return next((v.name for v in self.versions if v.is_control_version_type), None)

    @property
    def token_issuer(self) -> str:
        """The `iss` claim the endpoint's tokens carry and its router requires."""
        return TOKEN_ISSUER

    @property
    def token_audience(self) -> str:
        """The `aud` claim the endpoint's tokens carry and its router requires: its name, so a
        token for one endpoint is refused by another."""
        return self.name

    def version(self, name: str) -> VersionSpec:
        for version in self.versions:
            if version.name == name:
                return version
        raise KeyError(name)

    @property
    def routing(self) -> RoutingTable:
        """The routing table the versions declare: shares, the remainder to the default version,
        the control (raises RoutingError when a rule is broken; a validated spec never does)."""
        shares = {v.name: v.traffic_percentile for v in self.versions}
        return routing_table(shares, self.default_version, self.control_version)

    def effective_traffic(self) -> dict[str, float]:
        """`{version: percent}` summing to 100, the remainder going to the default version."""
        return self.routing.traffic

    def serialize(self) -> dict[str, Any]:
        """The seed's `serialize()`: a JSON-ready dict of the endpoint, versions and traffic."""
        data = self.model_dump(mode="json")
        data["namespace"] = self.effective_namespace
        default = self.default_version
        for version in data["versions"]:
            version["is_default"] = version["name"] == default
            version["autoscale_enabled"] = version["num_replicas"] is None
        data["default_version"] = default
        data["control_version"] = self.control_version
        data["effective_traffic"] = self.effective_traffic()
        return data
