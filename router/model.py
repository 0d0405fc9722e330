"""The renderer's inputs and output as plain frozen dataclasses (no Pulumi, no pydantic).

The spec says *what* an endpoint is; these say *where* things are for one router: how a version's
replicas are reached (fixed servers locally, a headless Service in a cluster), which auth material
the router holds (hashes and a public key, never secrets), and the router's own settings. Every
field is checked when the object is built, so a bad value fails before any text is rendered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from router.names import SPLIT_MAP, request_log_socket
from router.validation import (
    check_claim,
    check_dns_name,
    check_host,
    check_ipv4,
    check_path,
    check_port,
    check_positive_int,
    check_sha256_hex,
)
from router_agent.safe_values import LOG_SOCKET_PATH_MAX

__all__ = [
    "StaticReplicas",
    "DnsReplicas",
    "Replicas",
    "ApiKeyHashes",
    "TokenVerification",
    "AuthMaterial",
    "RouterSettings",
    "RouterConfig",
    "MAX_DNS_REPLICAS",
    "ALL_ADDRESSES_DUAL",
]

MAX_DNS_REPLICAS = 1000


@dataclass(frozen=True)
class StaticReplicas:
    """Fixed replica servers `host:port` (local runs and tests): one `server` line each."""

    servers: tuple[str, ...]

    def __post_init__(self) -> None:
        servers = tuple(self.servers)
        object.__setattr__(self, "servers", servers)
        if not servers:
            raise ValueError("StaticReplicas needs at least one server")
        for server in servers:
            self.split(server)

    @staticmethod
    def split(server: str) -> tuple[str, int]:
        """`host:port` -> (host, port), validated."""
        if not isinstance(server, str) or server.count(":") != 1:
            raise ValueError(f"replica server {server!r} is not host:port")
        host, _, port = server.partition(":")
        if not port.isdigit() or port.startswith("0"):
            raise ValueError(f"replica server {server!r}: port {port!r} is not a TCP port")
        return check_host(host, f"replica server {server!r}: host"), check_port(
            int(port), f"replica server {server!r}: port"
        )


@dataclass(frozen=True)
class DnsReplicas:
    """Replicas discovered through a headless Service (cluster): `server-template` + `resolvers`.

    HAProxy keeps `max_replicas` server slots and fills one per A record of `service`, so each
    replica (pod) gets its own `maxconn`.
    """

    service: str  # e.g. "ep-v1.ep.svc.cluster.local"
    port: int
    max_replicas: int

    def __post_init__(self) -> None:
        check_dns_name(self.service, "headless Service DNS name")
        check_port(self.port, f"port of {self.service}")
        check_positive_int(
            self.max_replicas, f"max_replicas of {self.service}", maximum=MAX_DNS_REPLICAS
        )


Replicas = StaticReplicas | DnsReplicas


@dataclass(frozen=True)
class ApiKeyHashes:
    """SHA-256 hex digests of the primary and secondary API keys (the router never sees a key)."""

    primary: str
    secondary: str

    def __post_init__(self) -> None:
        check_sha256_hex(self.primary, "primary key hash")
        check_sha256_hex(self.secondary, "secondary key hash")
        if self.primary == self.secondary:
            raise ValueError("primary and secondary key hashes are equal: the keys must differ")


@dataclass(frozen=True)
class TokenVerification:
    """ES256 JWT verification: the PEM public key file (SubjectPublicKeyInfo) and the claims."""

    public_key_path: str
    issuer: str
    audience: (
        str  # compared with a string `aud` claim (a JSON array `aud` is rejected: HAProxy 2.6)
    )

    def __post_init__(self) -> None:
        check_path(self.public_key_path, "JWT public key path")
        check_claim(self.issuer, "JWT issuer")
        check_claim(self.audience, "JWT audience")


@dataclass(frozen=True)
class AuthMaterial:
    """What the router holds to authenticate and terminate TLS. Must agree with the endpoint spec:
    key hashes iff `auth_enabled`, token verification iff `token_auth_enabled`."""

    api_keys: ApiKeyHashes | None = None
    token: TokenVerification | None = None
    tls_certificate_path: str | None = None  # one PEM file: certificate chain + private key

    def __post_init__(self) -> None:
        if self.tls_certificate_path is not None:
            check_path(self.tls_certificate_path, "TLS certificate path")


ALL_ADDRESSES_DUAL = "::"


@dataclass(frozen=True)
class RouterSettings:
    """Where the router listens and keeps its files. Defaults suit the official HAProxy image."""

    # an IPv4 literal, or "::" for every IPv6 and IPv4 address (one dual socket, HAProxy's v4v6)
    bind_address: str = "0.0.0.0"
    # the address family a replica's DNS name resolves to first (server-template's resolve-prefer)
    resolve_prefer: Literal["ipv4", "ipv6"] = "ipv4"
    port: int = 8080
    metrics_port: int = 8405
    map_dir: str = "/usr/local/etc/haproxy"
    # The routing directory (split.map, revision; a ConfigMap volume's layout), apart from the
    # config so that a routing change is not a config change; the agent beside HAProxy applies it.
    routing_dir: str = "/usr/local/etc/haproxy-routing"
    admin_socket: str = "/var/lib/haproxy/admin.sock"
    # The routing agent's port on 127.0.0.1, where the metrics port forwards `/routing`.
    agent_port: int = 8406
    # host:port of the cluster DNS for `resolvers`; None reads /etc/resolv.conf (parse-resolv-conf).
    nameserver: str | None = None
    access_log: Literal["stdout", "stderr"] = "stdout"  # where enable_app_insights lines go
    # Log every scoring request to the routing agent (`request_log_socket`), which keeps the
    # per-version request-time histograms a p99 latency alarm reads; HAProxy never waits on it.
    request_log: bool = True
    max_connections: int = 4096
    # HAProxy threads per router process. One, so a replica never gets more than its maxconn
    # (`replica_max_concurrent_requests`): with several threads, HAProxy 2.6 can hand a server
    # one request over its maxconn when two threads pick it at the same moment (seen in our
    # tests; HAProxy issue 2744). A thread serves far more requests than models answer; the
    # router scales out with pods. None: one per CPU (HAProxy's own default).
    threads: int | None = 1
    connect_timeout_ms: int = 2000

    def __post_init__(self) -> None:
        if self.bind_address != ALL_ADDRESSES_DUAL:
            check_ipv4(self.bind_address, f"bind_address (an IPv4 address or {ALL_ADDRESSES_DUAL!r})")
        if self.resolve_prefer not in ("ipv4", "ipv6"):
            raise ValueError(f"resolve_prefer {self.resolve_prefer!r} must be 'ipv4' or 'ipv6'")
        check_port(self.port, "port")
        check_port(self.metrics_port, "metrics_port")
        check_port(self.agent_port, "agent_port")
        if len({self.port, self.metrics_port, self.agent_port}) < 3:
            raise ValueError(
                "port, metrics_port and agent_port must differ "
                f"({self.port}, {self.metrics_port}, {self.agent_port})"
            )
        check_path(self.map_dir, "map_dir")
        check_path(self.routing_dir, "routing_dir")
        if self.routing_dir == self.map_dir:
            raise ValueError(
                f"routing_dir and map_dir must differ (both {self.map_dir}): the routing table "
                "lives apart from the configuration"
            )
        check_path(self.admin_socket, "admin_socket", unix_socket=True)
        if self.request_log:
            check_path(self.request_log_socket, "request log socket", unix_socket=True)
            if len(self.request_log_socket.encode()) > LOG_SOCKET_PATH_MAX:
                raise ValueError(
                    f"request log socket {self.request_log_socket!r} (beside the admin socket) is "
                    f"longer than HAProxy takes for a log socket ({LOG_SOCKET_PATH_MAX} bytes): "
                    "use a shorter admin socket path"
                )
        if self.nameserver is not None:
            host, sep, port = str(self.nameserver).partition(":")
            if not sep or not port.isdigit():
                raise ValueError(f"nameserver {self.nameserver!r} is not ip:port")
            check_ipv4(host, f"nameserver {self.nameserver!r}: address")
            check_port(int(port), f"nameserver {self.nameserver!r}: port")
        if self.access_log not in ("stdout", "stderr"):
            raise ValueError(f"access_log {self.access_log!r} must be 'stdout' or 'stderr'")
        check_positive_int(self.max_connections, "max_connections", maximum=1_000_000)
        if self.threads is not None:
            check_positive_int(self.threads, "threads", maximum=64)
        check_positive_int(self.connect_timeout_ms, "connect_timeout_ms", maximum=600_000)

    def map_path(self, file_name: str) -> str:
        """Absolute path of one of the router's map files."""
        return f"{self.map_dir}/{file_name}"

    @property
    def request_log_socket(self) -> str:
        """Where HAProxy logs each scoring request for the routing agent (beside the admin socket)."""
        return request_log_socket(self.admin_socket)

    @property
    def split_map_path(self) -> str:
        """The split map, in the routing directory: what haproxy.cfg and the agent name."""
        return f"{self.routing_dir}/{SPLIT_MAP}"

    def bind(self, port: int) -> str:
        """HAProxy's `bind` address for `port` on `bind_address`."""
        if self.bind_address == ALL_ADDRESSES_DUAL:
            return f":::{port} v4v6"
        return f"{self.bind_address}:{port}"


@dataclass(frozen=True)
class RouterConfig:
    """The renderer's output: write `map_files` into `map_dir`, the routing table (`split_map`
    and a revision, `router_agent.routing_dir.routing_files`) into `routing_dir`, then run
    HAProxy on `haproxy_cfg` and the routing agent beside it (admin socket, `split_map_path`,
    127.0.0.1:`agent_port`).

    `required_files` are the files the config reads that the caller provides (the JWT public key,
    the TLS certificate); `router.checks.check_required_files` fails closed when one is missing.
    """

    haproxy_cfg: str
    map_files: Mapping[str, str]  # file name (relative to map_dir) -> content; not the split map
    map_dir: str
    admin_socket: str
    split_map: str  # the routing table's split map text (router.split.render_split_map)
    routing_dir: str
    agent_port: int
    required_files: tuple[str, ...] = field(default=())
    # the agent's request log socket (`RouterSettings.request_log_socket`); None: requests are
    # not logged to the agent
    request_log_socket: str | None = None

    def map_path(self, file_name: str) -> str:
        return f"{self.map_dir}/{file_name}"

    @property
    def split_map_path(self) -> str:
        return f"{self.routing_dir}/{SPLIT_MAP}"

    def checksum(self) -> str:
        """SHA-256 over the config and its map files, not the routing table: a pod annotation
        that rolls the router exactly when what it runs changed, and never for a weight change,
        which the routing agent applies live."""
        digest = hashlib.sha256(self.haproxy_cfg.encode())
        for name in sorted(self.map_files):
            digest.update(b"\0" + name.encode() + b"\0" + self.map_files[name].encode())
        return digest.hexdigest()
