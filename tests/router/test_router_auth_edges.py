"""Auth edge cases through the real haproxy, each with its exact status: another endpoint's
credentials, a Bearer header without a token, more than one Authorization value, `nbf` in the
past, a lowercase `alg`, a DER-encoded signature, and a token signed before a key rotation once
the router has reloaded with the new key."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from auth_material import (
    AUDIENCE,
    ISSUER,
    KEYS,
    PRIMARY,
    SECONDARY,
    bearer,
    claims,
    es256_token,
    token,
)
from conftest import make_spec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from router_harness import LOOPBACK, PythonBackend, RouterProcess

from credentials.api_keys import api_key_sha256, new_api_key
from credentials.signing_keys import new_signing_key
from credentials.tokens import get_token
from router import ApiKeyHashes, AuthMaterial, StaticReplicas, TokenVerification
from specification import EndpointSpec

Signer = tuple[ec.EllipticCurvePrivateKey, Path]


def _start(
    start_router: Callable[..., RouterProcess],
    backend: PythonBackend,
    spec: EndpointSpec,
    auth: AuthMaterial,
) -> RouterProcess:
    return start_router(spec, spec.routing, {"v1": StaticReplicas((backend.address,))}, auth)


def _status(router: RouterProcess, headers: list[tuple[str, str]]) -> int:
    """One request carrying exactly `headers`, repeated names included (a dict cannot)."""
    connection = http.client.HTTPConnection(LOOPBACK, router.port, timeout=15)
    try:
        connection.putrequest("GET", "/score")
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _public_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_another_endpoints_key_and_token_are_refused(
    python_backends: Callable[..., list[PythonBackend]],
    start_router: Callable[..., RouterProcess],
    tmp_path: Path,
) -> None:
    """Two endpoints with their own keys and signing keys, made as the providers make them: each
    router takes its own credentials and refuses the other endpoint's."""
    backends = python_backends("fraud", "vision")
    routers: dict[str, RouterProcess] = {}
    credentials: dict[str, dict[str, str]] = {}
    for name, backend in zip(("fraud", "vision"), backends, strict=True):
        primary, secondary, signing = new_api_key(), new_api_key(), new_signing_key()
        public_path = tmp_path / f"{name}-jwt-public.pem"
        public_path.write_text(signing.public_key_pem)
        spec = make_spec({"name": "v1"}, name=name, auth_enabled=True, token_auth_enabled=True)
        auth = AuthMaterial(
            api_keys=ApiKeyHashes(api_key_sha256(primary), api_key_sha256(secondary)),
            token=TokenVerification(str(public_path), spec.token_issuer, spec.token_audience),
        )
        routers[name] = _start(start_router, backend, spec, auth)
        endpoint_token, _ = get_token(
            signing.private_key_pem,
            issuer=spec.token_issuer,
            audience=spec.token_audience,
            lifetime=timedelta(minutes=5),
        )
        credentials[name] = {"primary": primary, "secondary": secondary, "token": endpoint_token}

    for name, router in routers.items():
        other = "vision" if name == "fraud" else "fraud"
        for kind in ("primary", "secondary", "token"):
            own = [("authorization", f"Bearer {credentials[name][kind]}")]
            theirs = [("authorization", f"Bearer {credentials[other][kind]}")]
            assert (_status(router, own), _status(router, theirs)) == (200, 401), (name, kind)
    assert [backend.requests for backend in backends] == [3, 3]


def test_a_bearer_without_a_token_and_repeated_authorization_are_refused(
    python_backends: Callable[..., list[PythonBackend]],
    start_router: Callable[..., RouterProcess],
    ec_key_pair: Signer,
) -> None:
    key, public_path = ec_key_pair
    (backend,) = python_backends("v1")
    spec = make_spec({"name": "v1"}, auth_enabled=True, token_auth_enabled=True)
    router = _start(
        start_router,
        backend,
        spec,
        AuthMaterial(api_keys=KEYS, token=TokenVerification(str(public_path), ISSUER, AUDIENCE)),
    )
    valid = token(key)
    cases: dict[str, list[tuple[str, str]]] = {
        "Bearer and a space, no token": [("Authorization", "Bearer ")],
        "Bearer and spaces, no token": [("Authorization", "Bearer    ")],
        "two headers: the key, then a wrong one": [
            ("Authorization", f"Bearer {PRIMARY}"),
            ("Authorization", "Bearer wrong"),
        ],
        "two headers: a wrong one, then the key": [
            ("Authorization", "Bearer wrong"),
            ("Authorization", f"Bearer {PRIMARY}"),
        ],
        "two headers, both valid keys": [
            ("Authorization", f"Bearer {PRIMARY}"),
            ("Authorization", f"Bearer {SECONDARY}"),
        ],
        "two headers: a valid token, then a wrong one": [
            ("Authorization", f"Bearer {valid}"),
            ("authorization", "Bearer wrong"),
        ],
        "two headers: the key, then an empty one": [
            ("Authorization", f"Bearer {PRIMARY}"),
            ("Authorization", ""),
        ],
        "one header, two comma-separated credentials": [
            ("Authorization", f"Bearer {PRIMARY}, Bearer wrong"),
        ],
    }
    statuses = {case: _status(router, headers) for case, headers in cases.items()}
    assert statuses == dict.fromkeys(cases, 401)
    assert backend.requests == 0
    # each credential alone still works
    for credential in (PRIMARY, SECONDARY, valid):
        assert _status(router, [("Authorization", f"Bearer {credential}")]) == 200
    assert backend.requests == 3


def test_nbf_in_the_past_passes_lowercase_alg_and_der_signature_do_not(
    python_backends: Callable[..., list[PythonBackend]],
    start_router: Callable[..., RouterProcess],
    ec_key_pair: Signer,
) -> None:
    key, public_path = ec_key_pair
    (backend,) = python_backends("v1")
    spec = make_spec({"name": "v1"}, token_auth_enabled=True)
    router = _start(
        start_router,
        backend,
        spec,
        AuthMaterial(token=TokenVerification(str(public_path), ISSUER, AUDIENCE)),
    )
    now = int(time.time())
    payload = json.dumps(claims(nbf=now - 60), separators=(",", ":")).encode()

    def status(credential: str) -> int:
        return _status(router, list(bearer(credential).items()))

    assert status(token(key, nbf=now - 60)) == 200  # nbf in the past
    assert status(es256_token(key, payload)) == 200  # the same claims, signed byte by byte
    # the same claims and a valid ES256 signature, but the header says `es256`: JWS algorithm
    # names are case-sensitive (RFC 7515), so this is no ES256 token
    assert status(es256_token(key, payload, {"alg": "es256", "typ": "JWT"})) == 401
    # a valid ECDSA signature in DER, as other tools write it, where JWS ES256 takes raw r||s
    assert status(es256_token(key, payload, der_signature=True)) == 401
    assert backend.requests == 2


def test_a_token_signed_before_a_key_rotation_is_refused_after_the_reload(
    python_backends: Callable[..., list[PythonBackend]],
    start_router: Callable[..., RouterProcess],
    ec_key_pair: Signer,
) -> None:
    """Rotation replaces the public key file and reloads the router: the old key's tokens stop
    working at once, even one whose signature the router had cached as verified."""
    old_key, public_path = ec_key_pair
    (backend,) = python_backends("v1")
    spec = make_spec({"name": "v1"}, token_auth_enabled=True)
    router = _start(
        start_router,
        backend,
        spec,
        AuthMaterial(token=TokenVerification(str(public_path), ISSUER, AUDIENCE)),
    )
    signed_before = token(old_key)
    for _ in range(3):
        assert router.request(headers=bearer(signed_before)).status == 200
    assert "gpt0=1" in router.admin("show table jwt_cache")  # its signature is cached

    new_key = ec.generate_private_key(ec.SECP256R1())
    public_path.write_bytes(_public_pem(new_key))
    router.reload()

    for _ in range(3):
        assert router.request(headers=bearer(signed_before)).status == 401
    assert router.request(headers=bearer(token(new_key))).status == 200
    assert backend.requests == 4
