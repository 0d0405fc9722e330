"""The pure renderer: input validation (injection names, traffic tables), map files, runtime
commands, `haproxy -c` on every variant, and the fail-closed file check `haproxy -c` lacks."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import make_spec
from router_harness import haproxy_check
from tls_material import self_signed_pem

from router import (
    ApiKeyHashes,
    AuthMaterial,
    DnsReplicas,
    RouterConfig,
    RouterFileError,
    RouterSettings,
    StaticReplicas,
    TokenVerification,
    backend_name,
    check_required_files,
    load_map_commands,
    parse_prepare_map_response,
    prepare_map_command,
    render_router,
    split_entries,
    weight_change_commands,
)
from router_agent.routing_dir import routing_files, write_generation
from specification import EndpointSpec
from specification.routing import RoutingTable
from tests.specs import routed

# Each of these, templated into a config line, map line or admin command, changes its meaning
# (or is ambiguous): they must be refused before any text is produced.
INJECTIONS = [
    "v2\n    server evil 127.0.0.1:9",
    "v2\r\nx",
    "v2#c",
    "v 2",
    "v2\t",
    "v2;set weight be_v1/r1 0",
    "${HOME}",
    "$HOME",
    "%[env(HOME)]",
    "v2%",
    'v"2',
    "v'2",
    "v\\2",
    "a/b",
    "v2,x",
    "v2:x",
    "v2.x",
    "V2",
    "v2é",
    "-v2",
    "",
    "a" * 32,
]


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


KEYS = ApiKeyHashes(primary=_hash("primary-key"), secondary=_hash("secondary-key"))


def _spec(**fields: object) -> EndpointSpec:
    return make_spec(
        {"name": "v1", "is_control_version_type": True},
        {"name": "v2", "traffic_percentile": 30},
        **fields,
    )


def _replicas(spec: EndpointSpec) -> dict[str, StaticReplicas]:
    return {v.name: StaticReplicas((f"127.0.0.1:{9000 + i}",)) for i, v in enumerate(spec.versions)}


def _settings(tmp_path: Path, **fields: object) -> RouterSettings:
    fields = {"bind_address": "127.0.0.1", **fields}
    return RouterSettings(
        port=18080,
        metrics_port=18405,
        agent_port=18406,
        map_dir=str(tmp_path / "maps"),
        routing_dir=str(tmp_path / "routing"),
        admin_socket=str(tmp_path / "admin.sock"),
        **fields,  # type: ignore[arg-type]
    )


def _write(config: RouterConfig, tmp_path: Path) -> Path:
    maps = Path(config.map_dir)
    maps.mkdir(parents=True, exist_ok=True)
    for name, content in config.map_files.items():
        (maps / name).write_text(content)
    write_generation(Path(config.routing_dir), routing_files(config.split_map, 1))
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(config.haproxy_cfg)
    return cfg


def _assert_names(error: pytest.ExceptionInfo[ValueError], bad: str) -> None:
    assert repr(bad) in str(error.value), str(error.value)


# --------------------------------------------------------------------------- injection


@pytest.mark.parametrize("bad", INJECTIONS)
def test_injection_in_version_name_is_rejected(bad: str) -> None:
    """The spec rejects these names; the renderer rejects them again when the spec is bypassed."""
    spec = _spec()
    with pytest.raises(ValueError):
        make_spec({"name": bad})
    forged = spec.model_copy(
        update={"versions": [spec.versions[0], spec.versions[1].model_copy(update={"name": bad})]}
    )
    routing = RoutingTable({"v1": 7000, bad: 3000}, "v1")
    replicas = {"v1": StaticReplicas(("127.0.0.1:9000",)), bad: StaticReplicas(("127.0.0.1:9001",))}
    with pytest.raises(ValueError) as error:
        render_router(forged, routing, replicas, AuthMaterial())
    _assert_names(error, bad)
    with pytest.raises(ValueError) as error:
        backend_name(bad)
    _assert_names(error, bad)


@pytest.mark.parametrize("bad", INJECTIONS)
def test_injection_in_endpoint_name_traffic_and_replica_keys_is_rejected(bad: str) -> None:
    spec = _spec()
    forged = spec.model_copy(update={"name": bad})
    with pytest.raises(ValueError) as error:
        render_router(forged, spec.routing, _replicas(spec), AuthMaterial())
    _assert_names(error, bad)
    with pytest.raises(ValueError, match="unknown: ") as error:
        render_router(
            spec, RoutingTable({"v1": 7000, "v2": 3000, bad: 0}, "v1"), _replicas(spec), AuthMaterial()
        )
    assert bad in str(error.value)  # a name the endpoint does not have never reaches the config
    with pytest.raises(ValueError) as error:
        render_router(
            spec,
            spec.routing,
            {**_replicas(spec), bad: StaticReplicas(("127.0.0.1:1",))},
            AuthMaterial(),
        )
    _assert_names(error, bad)


@pytest.mark.parametrize("bad", INJECTIONS)
def test_injection_in_runtime_commands_is_rejected(bad: str) -> None:
    with pytest.raises(ValueError) as error:
        load_map_commands("/etc/haproxy/split.map", [("0:9999", bad)], 3)
    _assert_names(error, bad)
    with pytest.raises(ValueError) as error:
        load_map_commands("/etc/haproxy/split.map", [(bad, "be_v1")], 3)
    _assert_names(error, bad)


@pytest.mark.parametrize(
    "bad",
    [
        "relative/maps",
        "/tmp/a b",
        "/tmp/a;b",
        "/tmp/a#b",
        "/tmp/$HOME",
        "/tmp/a\nb",
        "/tmp/../etc",
        '/tmp/"x',
    ],
)
def test_unsafe_paths_are_rejected(bad: str, tmp_path: Path) -> None:
    builds: list[Callable[[], object]] = [
        lambda: RouterSettings(map_dir=bad),
        lambda: RouterSettings(routing_dir=bad),
        lambda: RouterSettings(admin_socket=bad),
        lambda: TokenVerification(bad, "https://issuer.example", "aud"),
        lambda: AuthMaterial(tls_certificate_path=bad),
        lambda: prepare_map_command(bad),
    ]
    for build in builds:
        with pytest.raises(ValueError) as error:
            build()
        _assert_names(error, bad)


@pytest.mark.parametrize(
    "bad", ["https://issuer example", "iss#x", 'a"b', "x\ny", "${ISS}", "50%", "", "a'b"]
)
def test_unsafe_jwt_claims_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError) as error:
        TokenVerification("/keys/jwt.pem", bad, "model-endpoint")
    _assert_names(error, bad)
    with pytest.raises(ValueError) as error:
        TokenVerification("/keys/jwt.pem", "https://issuer.example", bad)
    _assert_names(error, bad)


@pytest.mark.parametrize(
    "bad",
    [
        "127.0.0.1:80 backup",
        "127.0.0.1:80\n server x",
        "127.0.0.1",
        "127.0.0.1:0",
        "127.0.0.1:99999",
        "evil host:80",
        "Host:80",
        "a;b:80",
        "127.0.0.1:08",
    ],
)
def test_unsafe_static_servers_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError) as error:
        StaticReplicas((bad,))
    _assert_names(error, bad)


@pytest.mark.parametrize(
    "bad", ["svc.ns.svc.cluster.local\n", "svc ns", "Svc.ns", "svc..ns", "-svc.ns", "svc.ns;x"]
)
def test_unsafe_service_names_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError) as error:
        DnsReplicas(bad, 5001, 3)
    _assert_names(error, bad)


def test_unsafe_settings_and_hashes_are_rejected() -> None:
    with pytest.raises(ValueError, match="'0.0.0.0 ssl'"):
        RouterSettings(bind_address="0.0.0.0 ssl")
    with pytest.raises(ValueError, match="'10.0.0.10:53 x'"):
        RouterSettings(nameserver="10.0.0.10:53 x")
    with pytest.raises(ValueError, match="must differ"):
        RouterSettings(port=8080, metrics_port=8080)
    with pytest.raises(ValueError, match="port, metrics_port and agent_port must differ"):
        RouterSettings(port=8080, metrics_port=8405, agent_port=8405)
    with pytest.raises(ValueError, match="routing_dir and map_dir must differ"):
        RouterSettings(map_dir="/etc/haproxy", routing_dir="/etc/haproxy")
    with pytest.raises(ValueError, match="lowercase hex"):
        ApiKeyHashes(primary=_hash("a").upper(), secondary=_hash("b"))
    with pytest.raises(ValueError, match="lowercase hex"):
        ApiKeyHashes(primary="the-key-itself", secondary=_hash("b"))
    with pytest.raises(ValueError, match="must differ"):
        ApiKeyHashes(primary=_hash("a"), secondary=_hash("a"))
    with pytest.raises(ValueError, match="UNIX socket"):
        RouterSettings(admin_socket="/" + "s" * 120)
    for address in ("::1", "[::]", "0::0", "localhost"):
        with pytest.raises(ValueError, match=r"bind_address \(an IPv4 address or '::'\)"):
            RouterSettings(bind_address=address)
    with pytest.raises(ValueError, match="resolve_prefer 'ipv5'"):
        RouterSettings(resolve_prefer="ipv5")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- traffic table


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ({"v1": 10_000}, "missing: v2"),
        ({"v1": 7000, "v2": 3000, "v3": 0}, "unknown: v3"),
    ],
)
def test_the_routing_table_must_name_exactly_the_versions(steps: dict[str, int], message: str) -> None:
    """The table's own rules (steps, sum) hold by construction (specification.routing)."""
    spec = _spec()
    with pytest.raises(ValueError, match=message):
        render_router(spec, RoutingTable(steps, "v1"), _replicas(spec), AuthMaterial())


def test_default_backend_and_roles_come_from_the_routing_table() -> None:
    """Not from the spec: the router runs what the TrafficSplit holds."""
    spec = _spec()  # v1 is the spec's default, and no version is the control
    routing = RoutingTable({"v1": 3000, "v2": 7000}, "v2", "v2")
    cfg = render_router(spec, routing, _replicas(spec), AuthMaterial()).haproxy_cfg
    assert "map_int(/usr/local/etc/haproxy-routing/split.map,be_v2)" in cfg
    assert "default_backend be_v2" in cfg
    backend_v1 = cfg[cfg.index("\nbackend be_v1") :].split("\n\n")[0]
    backend_v2 = cfg[cfg.index("\nbackend be_v2") :].split("\n\n")[0]
    assert "set-header x-model-role treatment" in backend_v1
    assert "set-header x-model-role control" in backend_v2


def test_split_map_has_one_contiguous_range_per_version_in_hundredths() -> None:
    spec = make_spec(
        {"name": "v1", "is_default": True},
        {"name": "v2", "traffic_percentile": 30.01},
        {"name": "v3", "traffic_percentile": 0.01},
        {"name": "v4"},  # 0%: no range, still pinnable
        {"name": "v5", "traffic_percentile": 9.99},
    )
    routing = spec.routing
    assert routing.traffic == {"v1": 59.99, "v2": 30.01, "v3": 0.01, "v4": 0.0, "v5": 9.99}
    assert split_entries(routing) == [
        ("0:5998", "be_v1"),
        ("5999:8999", "be_v2"),
        ("9000:9000", "be_v3"),
        ("9001:9999", "be_v5"),
    ]
    config = render_router(spec, routing, _replicas(spec), AuthMaterial())
    assert "v4 be_v4" in config.map_files["versions.map"]
    assert "be_v4" not in config.split_map
    assert "split.map" not in config.map_files  # the routing table lives apart from the config
    assert "map_int(/usr/local/etc/haproxy-routing/split.map,be_v1)" in config.haproxy_cfg


# --------------------------------------------------------------------------- runtime API


def test_weight_change_commands() -> None:
    spec = _spec()
    assert prepare_map_command("/maps/split.map") == "prepare map /maps/split.map"
    assert parse_prepare_map_response("New version created: 7\n\n") == 7
    with pytest.raises(ValueError, match="unexpected answer"):
        parse_prepare_map_response("Unknown map identifier.\n")
    routing = routed(spec, {"v1": 25.5, "v2": 74.5})
    assert weight_change_commands(routing, "/maps/split.map", 7) == [
        "add map @7 /maps/split.map 0:2549 be_v1",
        "add map @7 /maps/split.map 2550:9999 be_v2",
        "commit map @7 /maps/split.map",
    ]
    with pytest.raises(ValueError, match="map version"):
        load_map_commands("/maps/split.map", [], -1)


# --------------------------------------------------------------------------- auth consistency


def test_auth_material_must_match_the_spec(tmp_path: Path) -> None:
    token = TokenVerification(str(tmp_path / "k.pem"), "https://issuer.example", "model-endpoint")
    cases = [
        (_spec(auth_enabled=True), AuthMaterial(), "auth_enabled is true"),
        (_spec(auth_enabled=False), AuthMaterial(api_keys=KEYS), "auth_enabled is false"),
        (_spec(token_auth_enabled=True), AuthMaterial(), "token_auth_enabled is true"),
        (_spec(), AuthMaterial(token=token), "token_auth_enabled is false"),
    ]
    for spec, auth, message in cases:
        with pytest.raises(ValueError, match=message):
            render_router(spec, spec.routing, _replicas(spec), auth)


# --------------------------------------------------------------------------- haproxy -c


def _tls_pem(tmp_path: Path, name: str = "tls.pem") -> Path:
    path = tmp_path / name
    path.write_bytes(self_signed_pem())
    return path


@pytest.mark.parametrize(
    "variant",
    [
        "open",
        "keys",
        "token",
        "keys+token",
        "tls",
        "insights",
        "dns",
        "dns-resolv-conf",
        "dns-ipv6",
        "threads",
    ],
)
def test_every_variant_passes_haproxy_check(variant: str, tmp_path: Path) -> None:
    keyed = variant in ("keys", "keys+token", "tls")
    tokened = variant in ("token", "keys+token")
    spec = _spec(
        auth_enabled=keyed, token_auth_enabled=tokened, enable_app_insights=variant == "insights"
    )
    key_path = tmp_path / "jwt.pem"
    key_path.write_text("-----BEGIN PUBLIC KEY-----\nnot checked by -c\n-----END PUBLIC KEY-----\n")
    auth = AuthMaterial(
        api_keys=KEYS if keyed else None,
        token=TokenVerification(str(key_path), "https://issuer.example", "model-endpoint")
        if tokened
        else None,
        tls_certificate_path=str(_tls_pem(tmp_path)) if variant == "tls" else None,
    )
    replicas: dict[str, StaticReplicas | DnsReplicas] = dict(_replicas(spec))
    extra: dict[str, object] = {}
    if variant.startswith("dns"):
        replicas["v2"] = DnsReplicas("ep-v2.ep.svc.cluster.local", 5001, 10)
        if variant == "dns":
            extra["nameserver"] = "10.96.0.10:53"
        if variant == "dns-ipv6":  # an IPv6 cluster: dual listening socket, AAAA records first
            extra |= {"bind_address": "::", "resolve_prefer": "ipv6"}
    if variant == "threads":
        extra["threads"] = 2
    config = render_router(
        spec, spec.routing, replicas, auth, _settings(tmp_path, **extra)
    )
    haproxy_check(_write(config, tmp_path))
    if variant.startswith("dns"):
        family = "ipv6" if variant == "dns-ipv6" else "ipv4"
        assert (
            "server-template r 1-10 ep-v2.ep.svc.cluster.local:5001 resolvers cluster "
            f"resolve-prefer {family} init-addr none maxconn 1"
        ) in config.haproxy_cfg
    binds = [line.strip() for line in config.haproxy_cfg.splitlines() if "    bind " in line]
    if variant == "dns-ipv6":
        assert binds == ["bind :::18405 v4v6", "bind :::18080 v4v6"]
    else:
        assert binds[0] == "bind 127.0.0.1:18405" and binds[1].startswith("bind 127.0.0.1:18080")
        assert ("nameserver ns1 10.96.0.10:53" in config.haproxy_cfg) == (variant == "dns")
        assert ("parse-resolv-conf" in config.haproxy_cfg) == (variant == "dns-resolv-conf")
    for digest in (KEYS.primary, KEYS.secondary):
        assert (digest in config.map_files.get("apikeys.map", "")) == keyed
        assert digest not in config.haproxy_cfg


def test_rendering_is_deterministic_and_the_checksum_follows_changes() -> None:
    spec = _spec(auth_enabled=True)
    args = (spec, spec.routing, _replicas(spec), AuthMaterial(api_keys=KEYS))
    first = render_router(*args)
    assert first == render_router(*args)
    assert first.checksum() == render_router(*args).checksum()
    reweighted = render_router(spec, routed(spec, {"v1": 50.0, "v2": 50.0}), *args[2:])
    assert reweighted.haproxy_cfg == first.haproxy_cfg  # only the split map changed
    assert reweighted.map_files == first.map_files
    assert reweighted.split_map != first.split_map
    # a weight change is applied live by the routing agent: it never rolls the router
    assert reweighted.checksum() == first.checksum()
    rotated = ApiKeyHashes(primary=_hash("new-primary"), secondary=KEYS.secondary)
    assert render_router(*args[:3], AuthMaterial(api_keys=rotated)).checksum() != first.checksum()


# --------------------------------------------------------------------------- fail closed


def test_missing_jwt_key_passes_haproxy_check_but_not_ours(tmp_path: Path) -> None:
    spec = _spec(token_auth_enabled=True)
    key_path = tmp_path / "keys" / "jwt.pem"
    auth = AuthMaterial(token=TokenVerification(str(key_path), "https://issuer.example", "aud"))
    config = render_router(
        spec, spec.routing, _replicas(spec), auth, _settings(tmp_path)
    )
    haproxy_check(_write(config, tmp_path))  # the trap: HAProxy accepts it
    with pytest.raises(RouterFileError, match="jwt.pem is missing"):
        check_required_files(config)
    key_path.parent.mkdir()
    key_path.write_text("")
    with pytest.raises(RouterFileError, match="is empty"):
        check_required_files(config)
    key_path.write_text("-----BEGIN EC PRIVATE KEY-----\nx\n-----END EC PRIVATE KEY-----\n")
    with pytest.raises(RouterFileError, match="private key"):
        check_required_files(config)
    key_path.write_text("-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n")
    check_required_files(config)
    (tmp_path / "routing" / "split.map").unlink()  # the link in the routing directory
    with pytest.raises(RouterFileError, match="split.map is missing"):
        check_required_files(config)


def test_tls_file_must_hold_certificate_and_key(tmp_path: Path) -> None:
    spec = _spec()
    pem = tmp_path / "tls.pem"
    config = render_router(
        spec,
        spec.routing,
        _replicas(spec),
        AuthMaterial(tls_certificate_path=str(pem)),
        _settings(tmp_path),
    )
    _write(config, tmp_path)
    with pytest.raises(RouterFileError, match="tls.pem is missing"):
        check_required_files(config)
    full = _tls_pem(tmp_path, "full.pem")
    certificate_only = full.read_text().split("-----BEGIN PRIVATE KEY-----")[0]
    pem.write_text(certificate_only)
    with pytest.raises(RouterFileError, match="certificate chain and its private key"):
        check_required_files(config)
    pem.write_bytes(full.read_bytes())
    check_required_files(config)
