"""Router spec: how an endpoint's front door (HAProxy) is deployed and exposed."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from specification.names import Cidr, ImageReference, LabelKey, LabelValue, Namespace

__all__ = ["AGENT_IMAGE", "DEFAULT_METRICS_NAMESPACE", "MetricsSource", "RouterSpec", "ROUTER_IMAGE"]

# The official image of the HAProxy release the router is tested against (Debian's 2.6.12).
ROUTER_IMAGE = "haproxy:2.6.12"
# The routing agent beside HAProxy needs nothing but a Python interpreter (it is standard library only).
AGENT_IMAGE = "python:3.11-slim"
# Where a cluster's Prometheus usually runs (kube-prometheus, the Prometheus Operator's guides).
DEFAULT_METRICS_NAMESPACE = "monitoring"


class MetricsSource(BaseModel):
    """Who may scrape the router's metrics port: pods of a namespace (optionally only those with
    some labels), or an address range. Becomes one peer of the router's NetworkPolicy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    namespace: Namespace | None = Field(
        default=None, description="Pods of this namespace (all of them unless `pod_labels`)."
    )
    pod_labels: dict[LabelKey, LabelValue] = Field(
        default_factory=dict,
        description="Only pods with these labels (in `namespace`, or in the endpoint's own).",
    )
    cidr: Cidr | None = Field(
        default=None,
        description="An address range instead, e.g. `10.0.0.0/8` (a Prometheus outside the cluster).",
    )

    @model_validator(mode="after")
    def _check(self) -> MetricsSource:
        if self.cidr is not None and (self.namespace is not None or self.pod_labels):
            raise ValueError("cidr: give either an address range or namespace/pod_labels, not both")
        if self.cidr is None and self.namespace is None and not self.pod_labels:
            raise ValueError("give a namespace, pod_labels or a cidr")
        return self


class RouterSpec(BaseModel):
    """The endpoint's router: HAProxy pods that split traffic, check credentials and queue."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    service_type: Literal["ClusterIP", "LoadBalancer", "NodePort"] = Field(
        default="ClusterIP",
        description="Kubernetes Service type of the scoring URL; `LoadBalancer` for a public endpoint.",
    )
    service_annotations: dict[LabelKey, str] = Field(
        default_factory=dict,
        description="Annotations of the router Service (e.g. a cloud's internal load balancer switch).",
    )
    load_balancer_source_ranges: list[Cidr] = Field(
        default_factory=list,
        description="CIDRs allowed to reach a `LoadBalancer` Service (empty: the cloud's default).",
    )
    tls_secret_name: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$",
        description="An existing `kubernetes.io/tls` Secret in the endpoint's namespace: the "
        "router terminates TLS with it and the scoring URL is https.",
    )
    min_replicas: int = Field(
        default=2, ge=2, description="Fewest router pods (at least 2, spread over nodes)."
    )
    max_replicas: int = Field(default=10, ge=2, description="Most router pods (its HPA on CPU).")
    target_cpu_utilization: int = Field(
        default=70, ge=1, le=100, description="CPU utilization the router's HPA maintains."
    )
    cpu_cores: float = Field(default=0.25, gt=0, description="CPU cores requested per router pod.")
    memory_gb: float = Field(default=0.25, gt=0, description="Memory (GB) requested per router pod.")
    memory_gb_limit: float | None = Field(
        default=0.5, gt=0, description="Most memory (GB) a router pod may use."
    )
    image: ImageReference = Field(
        default=ROUTER_IMAGE, description="HAProxy container image (2.6 or later)."
    )
    allow_plaintext_credentials: bool = Field(
        default=False,
        description="Accept API keys and tokens over plain HTTP on a `LoadBalancer` or `NodePort` "
        "Service (one reachable from outside the cluster) without `tls_secret_name`. Off: such an "
        "endpoint with auth fails at preview, since its credentials would cross the network in "
        "clear. Turn on only when TLS ends in front of the router (a cloud load balancer or "
        "ingress with its own certificate).",
    )
    request_times: bool = Field(
        default=True,
        description="Log every scoring request to the routing agent, which keeps per-version "
        "request-time histograms (`GET /latency` on the metrics port) for `p99_latency_ms` "
        "alarms. HAProxy never waits on the log, but formatting and reading a line per request "
        "costs CPU: about 20 us of latency per request and a quarter to a third of a router "
        "thread's peak throughput in our benchmark (README). Turn it off for routers at very "
        "high request rates that need no p99 alarm (one is refused without it).",
    )
    agent_image: ImageReference = Field(
        default=AGENT_IMAGE,
        description="Image of the routing agent beside HAProxy in each router pod (it applies "
        "weight changes live, without restarting the pod). Any image with Python 3.11 or later: "
        "the agent uses only the standard library, and its code is mounted from a ConfigMap.",
    )
    metrics_sources: list[MetricsSource] = Field(
        default_factory=lambda: [MetricsSource(namespace=DEFAULT_METRICS_NAMESPACE)],
        description="Who may reach the router's metrics port (Prometheus, for the autoscaler and "
        "alarms): the router's NetworkPolicy admits only these (and the node, for probes). "
        "Default: pods in the `monitoring` namespace. Empty: nobody. The scoring port stays "
        "open to every source, as its Service needs.",
    )
    ip_family: Literal["IPv4", "IPv6", "DualStack"] = Field(
        default="IPv4",
        description="IP family of the cluster's pod network. `IPv4`: the router listens on "
        "0.0.0.0 and its Service takes the cluster's default family. `IPv6` (an IPv6-only "
        "cluster): the router listens on every IPv6 and IPv4 address, resolves replicas to IPv6 "
        "first, and its Service asks for IPv6. `DualStack`: the same listening, replicas "
        "resolved to IPv4 first, and a Service that requires both families. Local mode always "
        "uses IPv4 loopback.",
    )

    @model_validator(mode="after")
    def _check(self) -> RouterSpec:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"min_replicas ({self.min_replicas}) must be <= max_replicas ({self.max_replicas})"
            )
        if self.memory_gb_limit is not None and self.memory_gb_limit < self.memory_gb:
            raise ValueError(
                f"memory_gb_limit ({self.memory_gb_limit}) must be >= memory_gb ({self.memory_gb})"
            )
        if self.load_balancer_source_ranges and self.service_type != "LoadBalancer":
            raise ValueError("load_balancer_source_ranges needs service_type LoadBalancer")
        return self

    @property
    def tls(self) -> bool:
        return self.tls_secret_name is not None

    @property
    def public(self) -> bool:
        """Whether the Service is reachable from outside the cluster (`LoadBalancer`, `NodePort`)."""
        return self.service_type != "ClusterIP"
