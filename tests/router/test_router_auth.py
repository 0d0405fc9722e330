"""Auth through the real haproxy: API keys checked by SHA-256 digest, ES256 JWTs with exp, nbf,
iss and aud, either credential when both are on, no check when auth is off, and a missing key file
failing closed (and caught by our check before start)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from pathlib import Path

import jwt
import pytest
from auth_material import (
    AUDIENCE,
    ISSUER,
    KEYS,
    PRIMARY,
    SECONDARY,
    b64url,
    bearer,
    claims,
    token,
)
from conftest import make_spec
from cryptography.hazmat.primitives.asymmetric import ec
from router_harness import PythonBackend, RouterProcess

from router import (
    AuthMaterial,
    RouterFileError,
    StaticReplicas,
    TokenVerification,
    check_required_files,
)
from specification import EndpointSpec

Signer = tuple[ec.EllipticCurvePrivateKey, Path]


def _start(
    start_router: Callable[..., RouterProcess],
    backend: PythonBackend,
    spec: EndpointSpec,
    auth: AuthMaterial,
) -> RouterProcess:
    return start_router(
        spec, spec.routing, {"v1": StaticReplicas((backend.address,))}, auth
    )


def _status(router: RouterProcess, headers: dict[str, str]) -> int:
    return router.request(headers=headers).status


def _bad_tokens(signer: Signer, public_pem: bytes) -> dict[str, str]:
    key, _ = signer
    now = int(time.time())
    valid = token(key)
    header, payload, signature = valid.split(".")
    forged_payload = b64url(json.dumps(claims(sub="admin", exp=now + 86400)).encode())
    hs_header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    hs_payload = b64url(json.dumps(claims()).encode())
    # HS256 "signed" with the public key as the HMAC secret: the classic algorithm confusion
    hs_signature = b64url(
        hmac.new(public_pem, f"{hs_header}.{hs_payload}".encode(), hashlib.sha256).digest()
    )
    none_header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return {
        "expired": token(key, iat=now - 600, exp=now - 60),
        "no exp": token(key, exp=None),
        "not yet valid (nbf)": token(key, nbf=now + 600),
        "tampered payload": f"{header}.{forged_payload}.{signature}",
        "tampered signature": f"{header}.{payload}.{signature[:-4]}AAAA",
        "wrong key": token(ec.generate_private_key(ec.SECP256R1())),
        "alg none": f"{none_header}.{hs_payload}.",
        "alg none (PyJWT)": jwt.encode(claims(), "", algorithm="none"),
        "HS256 with the public key": f"{hs_header}.{hs_payload}.{hs_signature}",
        "wrong iss": token(key, iss="https://evil.example"),
        "wrong aud": token(key, aud="other-endpoint"),
        "aud as a list (HAProxy 2.6 reads no array)": token(key, aud=[AUDIENCE]),
        "garbage": "not.a.jwt",
    }


def test_api_keys_by_sha256_hash(
    python_backends: Callable[..., list[PythonBackend]],
    start_router: Callable[..., RouterProcess],
) -> None:
    (backend,) = python_backends("v1")
    router = _start(
        start_router,
        backend,
        make_spec({"name": "v1"}, auth_enabled=True),
        AuthMaterial(api_keys=KEYS),
    )
    # the router holds digests only
    assert PRIMARY not in router.config.haproxy_cfg + "".join(router.config.map_files.values())
    assert SECONDARY not in router.config.haproxy_cfg + "".join(router.config.map_files.values())

    for key in (PRIMARY, SECONDARY):
        response = router.request(headers=bearer(key))
        assert response.status == 200
        assert "authorization" not in backend.last_headers  # the model never sees the key
    for headers in (
        {},
        bearer("wrong"),
        bearer(PRIMARY + "x"),
        bearer(KEYS.primary),  # the digest itself is not a key
        {"authorization": PRIMARY},
        {"authorization": f"Basic {base64.b64encode(f'u:{PRIMARY}'.encode()).decode()}"},
        {"authorization": f"Basic {PRIMARY}"},
        {"authorization": "Bearer"},
    ):
        response = router.request(headers=headers)
        assert response.status == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
    assert backend.requests == 2


def test_jwt_es256_with_exp_iss_aud(
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
    check_required_files(router.config)

    valid = token(key)
    response = router.request(headers=bearer(valid))
    assert response.status == 200
    assert "authorization" not in backend.last_headers
    # a reused token is served from the verified-signature cache (one entry, gpt0=1)
    for _ in range(3):
        assert _status(router, bearer(valid)) == 200
    assert "gpt0=1" in router.admin("show table jwt_cache")
    for case, bad in _bad_tokens(ec_key_pair, public_path.read_bytes()).items():
        assert _status(router, bearer(bad)) == 401, case
    assert _status(router, {}) == 401
    assert _status(router, bearer(PRIMARY)) == 401  # no API keys on this endpoint
    assert backend.requests == 4

    # exp is checked on every request, also for a token whose signature is cached
    short_lived = token(key, exp=int(time.time()) + 2)
    assert _status(router, bearer(short_lived)) == 200
    assert _status(router, bearer(short_lived)) == 200
    deadline = time.monotonic() + 10
    while _status(router, bearer(short_lived)) == 200:  # bounded: the token lives 2 s
        assert time.monotonic() < deadline, "an expired token was still accepted"
        time.sleep(0.25)
    assert _status(router, bearer(short_lived)) == 401


def test_both_auth_kinds_accept_either_credential(
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
    for credential in (PRIMARY, SECONDARY, token(key)):
        assert _status(router, bearer(credential)) == 200
    for case, bad in _bad_tokens(ec_key_pair, public_path.read_bytes()).items():
        assert _status(router, bearer(bad)) == 401, case
    for headers in ({}, bearer("wrong"), {"authorization": f"Basic {PRIMARY}"}):
        assert _status(router, headers) == 401
    assert backend.requests == 3


def test_auth_disabled_checks_nothing(
    python_backends: Callable[..., list[PythonBackend]],
    start_router: Callable[..., RouterProcess],
) -> None:
    (backend,) = python_backends("v1")
    router = _start(
        start_router, backend, make_spec({"name": "v1"}, auth_enabled=False), AuthMaterial()
    )
    assert "apikeys.map" not in router.config.map_files
    for headers in ({}, bearer("anything"), {"authorization": "Basic dTpw"}):
        assert _status(router, headers) == 200


def test_missing_key_file_fails_closed_and_our_check_catches_it(
    python_backends: Callable[..., list[PythonBackend]],
    start_router: Callable[..., RouterProcess],
    ec_key_pair: Signer,
    tmp_path: Path,
) -> None:
    key, _ = ec_key_pair
    (backend,) = python_backends("v1")
    missing = tmp_path / "absent" / "jwt-public.pem"
    spec = make_spec({"name": "v1"}, token_auth_enabled=True)
    # start_router runs `haproxy -c` first: HAProxy accepts the config and starts
    router = _start(
        start_router,
        backend,
        spec,
        AuthMaterial(token=TokenVerification(str(missing), ISSUER, AUDIENCE)),
    )
    with pytest.raises(RouterFileError, match="is missing"):
        check_required_files(router.config)
    # and a token that would be valid is refused, every time: fail closed, nothing cached
    valid = token(key)
    for _ in range(3):
        assert _status(router, bearer(valid)) == 401
    assert "gpt0=1" not in router.admin("show table jwt_cache")
    assert backend.requests == 0
