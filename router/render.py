"""Render an endpoint's router: `EndpointSpec` + routing table + replicas + auth -> haproxy.cfg + maps.

Pure: no file, network or Pulumi access; the same inputs give the same text, so a config checksum
can roll router pods exactly when something changed. All request handling is HAProxy's own:

- weighted split: `rand(10000)` looked up in `split.map` (0.01% buckets), remainder to the default;
  the split map lives in the routing directory, apart from the config: the routing agent beside
  HAProxy swaps it live, so a weight change changes neither haproxy.cfg nor its checksum;
- pinning: `x-model-version` (or Azure ML's `azureml-model-deployment`) looked up in
  `versions.map`, an allowlist; an unknown version gets 400;
- per version backend: `maxconn` per replica = replica_max_concurrent_requests, `timeout queue` =
  max_request_wait_time (503), `timeout server` = scoring_timeout_ms (504), and the response
  headers `x-model-version` / `x-model-role` on every response of that version (also 503/504);
- auth: API keys by SHA-256 hash (`apikeys.map`), ES256 JWTs with exp/nbf/iss/aud (exp and nbf
  non-negative JSON integers), either works; one Authorization value per request;
- a separate Prometheus port (`/metrics`, `/healthz`, and `/routing` and `/latency` forwarded to
  the routing agent: the revision this router applied, per-version request-time histograms), an
  optional JSON access log; the same JSON line of every request goes to the agent's request-log
  socket (HAProxy 2.6 exports no latency histogram, so the agent builds one);
- master-worker mode and `option idle-close-on-response` for hitless reloads.
"""

from __future__ import annotations

from collections.abc import Mapping

from router.model import (
    AuthMaterial,
    DnsReplicas,
    Replicas,
    RouterConfig,
    RouterSettings,
    StaticReplicas,
)
from router.names import (
    API_KEYS_MAP,
    METRICS_FRONTEND,
    REPLICA_PREFIX,
    RESOLVERS,
    ROUTING_AGENT_BACKEND,
    SCORING_FRONTEND,
    VERSIONS_MAP,
    backend_name,
    green_target,
    target_backend,
)
from router.split import render_map, render_split_map
from router.timeouts import client_timeout_ms, drain_ms
from router.validation import check_http_path, check_name, check_positive_int
from router_agent.status_server import LATENCY_PATH, ROUTING_PATH
from specification.endpoint import EndpointSpec
from specification.routing import RoutingTable

__all__ = ["render_router", "PIN_HEADER", "PIN_HEADER_ALIAS", "VERSION_HEADER", "ROLE_HEADER"]

PIN_HEADER = "x-model-version"
PIN_HEADER_ALIAS = "azureml-model-deployment"
VERSION_HEADER = "x-model-version"
ROLE_HEADER = "x-model-role"
REQUEST_ID_HEADER = "x-request-id"
JWT_CACHE = "jwt_cache"
# Matches a JWT payload (its JSON text) in which an `exp` or `nbf` member is not a plain JSON
# integer from 0 to 15 digits followed by `,` or `}`. HAProxy 2.6's jwt_payload_query('$.exp',
# 'int') reads a string "9999999999" as that number, 9999999999.5 as 9999999999, 017777777777 as
# octal, the first of two `exp` keys and an `nbf` it cannot read (null, a float, beyond 2^53) as
# no `nbf`; and its sub() turns a negative `exp` minus now into the largest integer, a token that
# never expires. So every member named exp or nbf, at any depth and however often, must be a
# non-negative integer. The whitespace is JSON's, which HAProxy's JSON reader (mjson) skips
# around the colon.
NON_INTEGER_TIME_CLAIM = (
    r'"(?:exp|nbf)"[\t\n\r ]*:(?![\t\n\r ]*(?:0|[1-9][0-9]{0,14})[\t\n\r ]*[,}])'
)
AGENT_ADDRESS = "127.0.0.1"  # the agent runs beside HAProxy: in its pod, or on the same machine


def _check_auth(spec: EndpointSpec, auth: AuthMaterial) -> None:
    if spec.auth_enabled and auth.api_keys is None:
        raise ValueError(
            f"endpoint {spec.name}: auth_enabled is true but no API key hashes were given"
        )
    if not spec.auth_enabled and auth.api_keys is not None:
        raise ValueError(
            f"endpoint {spec.name}: API key hashes were given but auth_enabled is false "
            "(refusing to drop them silently)"
        )
    if spec.token_auth_enabled and auth.token is None:
        raise ValueError(
            f"endpoint {spec.name}: token_auth_enabled is true but no token verification was given"
        )
    if not spec.token_auth_enabled and auth.token is not None:
        raise ValueError(
            f"endpoint {spec.name}: token verification was given but token_auth_enabled is false "
            "(refusing to drop it silently)"
        )


def _check_replicas(spec: EndpointSpec, replicas: Mapping[str, Replicas]) -> None:
    for name in replicas:
        check_name(name, "replicas version")
    versions = [v.name for v in spec.versions]
    missing = [v for v in versions if v not in replicas]
    unknown = sorted(set(replicas) - set(versions))
    if missing or unknown:
        raise ValueError(
            "replicas must name exactly the endpoint's versions "
            f"({', '.join(versions)}); missing: {', '.join(missing) or '-'}; "
            f"unknown: {', '.join(unknown) or '-'}"
        )
    for name, target in replicas.items():
        if not isinstance(target, (StaticReplicas, DnsReplicas)):
            raise ValueError(
                f"replicas of {name}: expected StaticReplicas or DnsReplicas, got {target!r}"
            )


def _global(
    spec: EndpointSpec, settings: RouterSettings, auth: AuthMaterial, drain_ms: int
) -> list[str]:
    lines = [
        "global",
        "    master-worker",
        f"    maxconn {settings.max_connections}",
        f"    hard-stop-after {drain_ms}ms",
        f"    stats socket {settings.admin_socket} mode 600 level admin expose-fd listeners",
        "    stats timeout 30s",
    ]
    if settings.threads is not None:
        lines.append(f"    nbthread {settings.threads}")
    if auth.tls_certificate_path is not None:
        lines.append("    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets")
    if spec.enable_app_insights:
        lines.append(f"    log {settings.access_log} format raw local0 info")
    return lines


def _defaults(settings: RouterSettings, client_timeout_ms: int) -> list[str]:
    return [
        "defaults",
        "    mode http",
        f"    timeout connect {settings.connect_timeout_ms}ms",
        f"    timeout client {client_timeout_ms}ms",
        "    timeout server 60s",
        "    timeout queue 1s",
        "    timeout http-request 10s",
        "    timeout http-keep-alive 10s",
        "    option dontlognull",  # probes that connect and send nothing are not requests
        # On a reload the old worker closes idle keep-alive connections after the next response
        # instead of racing a client's next request (measured: 5 resets in 18,000 without it).
        "    option idle-close-on-response",
        "    retries 2",
        "    option redispatch 1",
    ]


def _resolvers(settings: RouterSettings) -> list[str]:
    nameserver = (
        f"    nameserver ns1 {settings.nameserver}"
        if settings.nameserver is not None
        else "    parse-resolv-conf"
    )
    return [
        f"resolvers {RESOLVERS}",
        nameserver,
        "    accepted_payload_size 8192",
        "    resolve_retries 3",
        "    timeout resolve 1s",
        "    timeout retry 1s",
        "    hold valid 5s",
        "    hold obsolete 10s",
    ]


def _metrics_frontend(settings: RouterSettings) -> list[str]:
    return [
        f"frontend {METRICS_FRONTEND}",
        f"    bind {settings.bind(settings.metrics_port)}",
        "    no log",
        "    http-request use-service prometheus-exporter if { path /metrics }",
        '    http-request return status 200 content-type text/plain string "ok" '
        "if { path /healthz }",
        '    http-request return status 404 content-type text/plain string "not found" '
        f"unless {{ path {ROUTING_PATH} }} || {{ path {LATENCY_PATH} }}",
        f"    use_backend {ROUTING_AGENT_BACKEND}",
    ]


def _routing_agent_backend(settings: RouterSettings) -> list[str]:
    return [
        f"backend {ROUTING_AGENT_BACKEND}",
        "    # the routing agent beside HAProxy: the table this router applied, request times",
        "    timeout server 5s",
        "    retries 0  # no agent: say so at once (503), its readers poll again",
        f"    server agent {AGENT_ADDRESS}:{settings.agent_port}",
    ]


def _access_log_format(spec: EndpointSpec) -> str:
    # Every interpolated value is a validated name, a number or a fixed token, so the line is JSON.
    fields = [
        '"ts":%Ts.%ms',
        f'"endpoint":"{check_name(spec.name, "endpoint name")}"',
        '"version":"%[var(txn.version)]"',
        '"role":"%[var(txn.role)]"',
        '"status":%ST',
        '"queue_ms":%Tw',
        '"connect_ms":%Tc',
        '"response_ms":%Tr',
        '"total_ms":%Ta',
        '"bytes_out":%B',
        '"method":"%HM"',
        '"termination":"%ts"',
        '"request_id":"%ID"',
    ]
    return "{" + ",".join(fields) + "}"


def _auth_rules(spec: EndpointSpec, settings: RouterSettings, auth: AuthMaterial) -> list[str]:
    if auth.api_keys is None and auth.token is None:
        return ["    # auth disabled: no credential is checked"]
    refuse = (
        '    http-request return status 401 content-type text/plain string "unauthorized" '
        "hdr www-authenticate Bearer"
    )
    lines: list[str] = [
        # One credential per request. Authorization is no list (RFC 9110): HAProxy would read the
        # first of two headers or of two comma-separated values, where another reader of the
        # request may take the other one, so a request that carries more is refused unread.
        "    acl auth_repeated req.hdr_cnt(authorization) gt 1",
        f"{refuse} if auth_repeated",
    ]
    accepted: list[str] = []
    if auth.api_keys is not None:
        lines += [
            "    # API keys: only their SHA-256 digests are in apikeys.map",
            "    http-request set-var(txn.key_id) "
            f"http_auth_bearer,sha2(256),hex,lower,map({settings.map_path(API_KEYS_MAP)})",
            "    acl key_ok var(txn.key_id) -m found",
        ]
        accepted.append("key_ok")
    if auth.token is not None:
        token = auth.token
        unless_key = " unless key_ok" if auth.api_keys is not None else ""
        lines += [
            "    # JWT: ES256 signature with the public key, then exp, nbf, iss and aud",
            f"    http-request set-var(txn.jwt) http_auth_bearer{unless_key}",
            "    http-request set-var(txn.now) date",
            "    http-request set-var(txn.jwt_alg) var(txn.jwt),jwt_header_query('$.alg') "
            "if { var(txn.jwt) -m found }",
            "    http-request set-var(txn.jwt_ttl) "
            "var(txn.jwt),jwt_payload_query('$.exp','int'),sub(txn.now) "
            "if { var(txn.jwt) -m found }",
            "    acl jwt_es256 var(txn.jwt_alg) -m str ES256",
            # A verified signature is remembered by the token's SHA-256 (same bytes, same valid
            # signature), so a client reusing its token pays one ES256 verification, not one per
            # request; exp, nbf, iss and aud are still checked on every request.
            f"    http-request track-sc0 var(txn.jwt),sha2(256) table {JWT_CACHE} "
            "if { var(txn.jwt) -m found }",
            "    acl jwt_cached sc_get_gpt0(0) -m int gt 0",
            "    acl jwt_signed "
            f'var(txn.jwt),jwt_verify("ES256","{token.public_key_path}") -m int 1',
            "    http-request set-var(txn.jwt_sig) str(cached) if jwt_es256 jwt_cached",
            "    http-request set-var(txn.jwt_sig) str(verified) "
            "if jwt_es256 !jwt_cached jwt_signed",
            "    http-request sc-set-gpt0(0) 1 if { var(txn.jwt_sig) -m str verified }",
            "    acl jwt_sig_ok var(txn.jwt_sig) -m found",
            # the payload's own text, for the type of its time claims (see NON_INTEGER_TIME_CLAIM)
            "    http-request set-var(txn.jwt_claims) var(txn.jwt),field(2,.),ub64dec "
            "if { var(txn.jwt) -m found }",
            "    acl jwt_claims_read var(txn.jwt_claims) -m found",
            f"    acl jwt_time_untyped var(txn.jwt_claims) -m reg '{NON_INTEGER_TIME_CLAIM}'",
            "    acl jwt_live var(txn.jwt_ttl) -m int gt 0",
            "    acl jwt_early "
            "var(txn.jwt),jwt_payload_query('$.nbf','int'),sub(txn.now) -m int gt 0",
            f"    acl jwt_iss var(txn.jwt),jwt_payload_query('$.iss') -m str {token.issuer}",
            f"    acl jwt_aud var(txn.jwt),jwt_payload_query('$.aud') -m str {token.audience}",
        ]
        accepted.append(
            "jwt_sig_ok jwt_claims_read !jwt_time_untyped jwt_live !jwt_early jwt_iss jwt_aud"
        )
    lines += [
        f"{refuse} unless {' || '.join(accepted)}",
        "    # the model never sees the caller's credential",
        "    http-request del-header authorization",
    ]
    return lines


def _scoring_frontend(
    spec: EndpointSpec, routing: RoutingTable, settings: RouterSettings, auth: AuthMaterial
) -> list[str]:
    default_backend = backend_name(routing.default_version)
    versions_map = settings.map_path(VERSIONS_MAP)
    split_map = settings.split_map_path
    bind = f"    bind {settings.bind(settings.port)}"
    if auth.tls_certificate_path is not None:
        bind += f" ssl crt {auth.tls_certificate_path} alpn h2,http/1.1"
    lines = [f"frontend {SCORING_FRONTEND}", bind]
    if spec.enable_app_insights:
        lines.append("    log global")
    if settings.request_log:
        # one line per request to the routing agent, for per-version request times (p99 alarms)
        lines.append(f"    log {settings.request_log_socket} format raw local1 info")
    if spec.enable_app_insights or settings.request_log:
        lines.append(f"    log-format '{_access_log_format(spec)}'")
    else:
        lines.append("    no log")
    lines += [
        "    unique-id-format %[uuid()]",
        f"    unique-id-header {REQUEST_ID_HEADER}",
        f"    http-after-response set-header {REQUEST_ID_HEADER} %[unique-id]",
    ]
    lines += _auth_rules(spec, settings, auth)
    lines += [
        f"    # pinning: {PIN_HEADER} wins over {PIN_HEADER_ALIAS}; versions.map is the allowlist",
        f"    http-request set-var(txn.pin) req.fhdr({PIN_HEADER_ALIAS}) "
        f"if {{ req.fhdr({PIN_HEADER_ALIAS}) -m found }}",
        f"    http-request set-var(txn.pin) req.fhdr({PIN_HEADER}) "
        f"if {{ req.fhdr({PIN_HEADER}) -m found }}",
        "    acl pinned var(txn.pin) -m found",
        f"    acl pin_known var(txn.pin),map({versions_map}) -m found",
        '    http-request return status 400 content-type text/plain string "unknown model version" '
        "if pinned !pin_known",
        f"    http-request set-var(txn.backend) var(txn.pin),map({versions_map}) if pinned",
        "    # weighted split: a rand(10000) bucket is 0.01%; unmapped buckets go to the default",
        f"    http-request set-var(txn.backend) rand(10000),map_int({split_map},{default_backend}) "
        "unless pinned",
        "    use_backend %[var(txn.backend)]",
        f"    default_backend {default_backend}",
    ]
    return lines


def _backend(
    spec: EndpointSpec,
    routing: RoutingTable,
    version_name: str,
    target: Replicas,
    settings: RouterSettings,
    *,
    green: bool = False,
) -> list[str]:
    version = spec.version(version_name)
    name = check_name(version.name, "version name")
    role = routing.role(name)
    if role not in ("control", "treatment"):
        raise ValueError(f"{name}: role {role!r} is neither 'control' nor 'treatment'")
    maxconn = check_positive_int(
        version.replica_max_concurrent_requests, f"{name}: replica_max_concurrent_requests"
    )
    queue_ms = check_positive_int(version.max_request_wait_time, f"{name}: max_request_wait_time")
    server_ms = check_positive_int(version.scoring_timeout_ms, f"{name}: scoring_timeout_ms")
    health_path = check_http_path(version.health_path, f"{name}: health_path")
    # Replica health checks with the version's probe settings: a replica that stops answering
    # leaves the rotation after `failure_threshold` failed checks `period_seconds` apart.
    check = (
        f"check inter {check_positive_int(version.period_seconds, f'{name}: period_seconds')}s "
        f"fall {check_positive_int(version.failure_threshold, f'{name}: failure_threshold')} "
        f"rise {check_positive_int(version.success_threshold, f'{name}: success_threshold')}"
    )
    lines = [
        f"backend {target_backend(green_target(name)) if green else backend_name(name)}",
        "    balance leastconn",
        f"    timeout queue {queue_ms}ms",
        f"    timeout server {server_ms}ms",
        f"    timeout check {check_positive_int(version.timeout_seconds, f'{name}: timeout_seconds')}s",
        f"    option httpchk GET {health_path}",
        f"    http-request set-var(txn.version) str({name})",
        f"    http-request set-var(txn.role) str({role})",
        f"    http-after-response set-header {VERSION_HEADER} {name}",
        f"    http-after-response set-header {ROLE_HEADER} {role}",
    ]
    if isinstance(target, StaticReplicas):
        for index, server in enumerate(target.servers, start=1):
            host, port = StaticReplicas.split(server)
            lines.append(f"    server {REPLICA_PREFIX}{index} {host}:{port} maxconn {maxconn} {check}")
    else:
        lines.append(
            f"    server-template {REPLICA_PREFIX} 1-{target.max_replicas} "
            f"{target.service}:{target.port} resolvers {RESOLVERS} "
            f"resolve-prefer {settings.resolve_prefer} "
            f"init-addr none maxconn {maxconn} {check}"
        )
    return lines


def render_router(
    spec: EndpointSpec,
    routing: RoutingTable,
    replicas: Mapping[str, Replicas],
    auth: AuthMaterial,
    settings: RouterSettings | None = None,
    green: Mapping[str, Replicas] | None = None,
) -> RouterConfig:
    """Render the router of `spec`.

    `routing` is the endpoint's routing table (weights, default version and A/B roles together;
    it must name exactly the spec's versions, and may name `v_green` for a version in `green`);
    `replicas` says how each version's replicas are reached; `green`, how the new replicas of
    versions being replaced blue/green are (a second backend `be_<v>_green` each, answering as
    the version, with its role and limits; pinned requests stay on `be_<v>`); `auth` must agree
    with `spec.auth_enabled` / `spec.token_auth_enabled`. Raises ValueError on any invalid or
    unsafe input, naming it.
    """
    settings = settings if settings is not None else RouterSettings()
    green = dict(green or {})
    check_name(spec.name, "endpoint name")
    for version in spec.versions:
        check_name(version.name, "version name")
    unknown = sorted(set(green) - {v.name for v in spec.versions})
    if unknown:
        raise ValueError(f"green replicas of {', '.join(unknown)}: not versions of {spec.name}")
    # a green backend takes traffic only while its version is replaced: the table names its
    # `v_green` entry then, and may leave it out otherwise (a cluster router keeps the backend)
    routing.check_versions(
        [
            *(v.name for v in spec.versions),
            *(green_target(name) for name in green if green_target(name) in routing.steps),
        ]
    )
    _check_replicas(spec, replicas)
    _check_auth(spec, auth)

    sections: list[list[str]] = [
        [
            f"# Router of endpoint {spec.name}, rendered by model-endpoints (router/render.py).",
            f"# Do not edit: re-render. Map files live in {settings.map_dir}, the routing table "
            f"in {settings.routing_dir}.",
        ],
        _global(spec, settings, auth, drain_ms(spec)),
        _defaults(settings, client_timeout_ms(spec)),
    ]
    if any(isinstance(t, DnsReplicas) for t in replicas.values()):
        sections.append(_resolvers(settings))
    sections.append(_metrics_frontend(settings))
    sections.append(_routing_agent_backend(settings))
    sections.append(_scoring_frontend(spec, routing, settings, auth))
    for version in spec.versions:
        sections.append(_backend(spec, routing, version.name, replicas[version.name], settings))
        if version.name in green:
            sections.append(
                _backend(spec, routing, version.name, green[version.name], settings, green=True)
            )
    if auth.token is not None:
        sections.append(
            [
                f"backend {JWT_CACHE}",
                "    # sha256(token) -> 1 once its ES256 signature verified; bounded, expiring",
                "    stick-table type binary len 32 size 100k expire 10m store gpt0",
            ]
        )
    text = "\n\n".join("\n".join(section) for section in sections) + "\n"

    map_files = {
        VERSIONS_MAP: render_map(
            [(v.name, backend_name(v.name)) for v in spec.versions],
            "pinned version (x-model-version / azureml-model-deployment) -> backend",
        ),
    }
    if auth.api_keys is not None:
        map_files[API_KEYS_MAP] = render_map(
            [(auth.api_keys.primary, "primary"), (auth.api_keys.secondary, "secondary")],
            "sha256(api key) hex -> key id",
        )
    required = tuple(
        path
        for path in (
            auth.token.public_key_path if auth.token is not None else None,
            auth.tls_certificate_path,
        )
        if path is not None
    )
    return RouterConfig(
        haproxy_cfg=text,
        map_files=map_files,
        map_dir=settings.map_dir,
        admin_socket=settings.admin_socket,
        split_map=render_split_map(routing),
        routing_dir=settings.routing_dir,
        agent_port=settings.agent_port,
        required_files=required,
        request_log_socket=settings.request_log_socket if settings.request_log else None,
    )
