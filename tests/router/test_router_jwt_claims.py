"""JWT time claims through the real haproxy: `exp` and `nbf` must be non-negative JSON integers
(RFC 7519's NumericDate as our signer and PyJWT write it); any other form of either is refused
with 401, even correctly signed, while integer claims in any JSON layout pass and `nbf` stays
optional.

HAProxy 2.6 alone reads these forms loosely (`jwt_payload_query('$.exp','int')`): a string
`"9999999999"` as the number, `9999999999.5` as 9999999999, `017777777777` as octal, the first of
two `exp` keys, and an `nbf` it cannot read (null, a float, out of range) as no `nbf` at all; and
its `sub()` turns a negative `exp` minus now into the largest integer: a token that never expires.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from auth_material import AUDIENCE, ISSUER, KEYS, PRIMARY, bearer, es256_token, token
from conftest import make_spec
from cryptography.hazmat.primitives.asymmetric import ec
from router_harness import PythonBackend, RouterProcess

from router import AuthMaterial, StaticReplicas, TokenVerification

Signer = tuple[ec.EllipticCurvePrivateKey, Path]


def _payload(time_claims: str, *, now: int) -> bytes:
    """Valid iss/aud/iat, then `time_claims` (raw JSON members) as the payload's last members."""
    return f'{{"iss":"{ISSUER}","aud":"{AUDIENCE}","iat":{now},{time_claims}}}'.encode()


def _refused(now: int) -> dict[str, str]:
    """Raw `exp`/`nbf` members that must be refused, each in a token that is otherwise valid."""
    later = now + 300
    return {
        "exp as a string": f'"exp":"{later}"',
        "exp as a far string": '"exp":"9999999999"',
        "exp as a float": f'"exp":{later}.5',
        "exp as a far float": '"exp":9999999999.5',
        "exp as 1.5e9": '"exp":1.5e9',
        "exp with an exponent": '"exp":2e10',
        "exp with a capital exponent": '"exp":1E10',
        "exp true": '"exp":true',
        "exp false": '"exp":false',
        "exp null": '"exp":null',
        "exp an array": f'"exp":[{later}]',
        "exp an object": f'"exp":{{"t":{later}}}',
        "exp with a leading zero (octal to HAProxy)": '"exp":017777777777',
        "exp with more than 15 digits": '"exp":99999999999999999999',
        "exp negative (HAProxy's sub() makes it never expire)": '"exp":-5',
        "exp a string, then an integer": f'"exp":"9999999999","exp":{later}',
        "exp an integer, then a string": f'"exp":{later},"exp":"x"',
        "nbf as a string": f'"exp":{later},"nbf":"0"',
        "nbf null": f'"exp":{later},"nbf":null',
        "nbf false": f'"exp":{later},"nbf":false',
        "nbf true": f'"exp":{later},"nbf":true',
        "nbf as a float": f'"exp":{later},"nbf":{now - 60}.5',
        "nbf with an exponent": f'"exp":{later},"nbf":1e9',
        "nbf with a leading zero": f'"exp":{later},"nbf":010',
        "nbf beyond HAProxy's integers": f'"exp":{later},"nbf":99999999999999999999',
        "nbf with 16 digits": f'"exp":{later},"nbf":9007199254740993',
        "nbf an array": f'"exp":{later},"nbf":[]',
        "nbf negative": f'"exp":{later},"nbf":-1',
    }


def _accepted(now: int) -> dict[str, str]:
    """Integer `exp`/`nbf` members in layouts JSON allows: each token must pass."""
    later = now + 300
    return {
        "exp only": f'"exp":{later}',
        "nbf in the past": f'"exp":{later},"nbf":{now - 60}',
        "nbf zero": f'"exp":{later},"nbf":0',
        "nbf before exp": f'"nbf":{now - 1},"exp":{later}',
        "whitespace around the members": f'"exp" : {later} ,\n\t"nbf"\r\n:\n{now - 60} ',
        "exp with 15 digits": '"exp":999999999999999',
        'a claim whose value is "exp"': f'"sub":"exp","exp":{later}',
        "a string holding an escaped exp member": f'"sub":"\\"exp\\":\\"x\\"","exp":{later}',
    }


def test_exp_and_nbf_must_be_json_integers(
    python_backends: Callable[..., list[PythonBackend]],
    start_router: Callable[..., RouterProcess],
    ec_key_pair: Signer,
) -> None:
    key, public_path = ec_key_pair
    (backend,) = python_backends("v1")
    spec = make_spec({"name": "v1"}, token_auth_enabled=True)
    router = start_router(
        spec,
        spec.routing,
        {"v1": StaticReplicas((backend.address,))},
        AuthMaterial(token=TokenVerification(str(public_path), ISSUER, AUDIENCE)),
    )
    now = int(time.time())

    statuses = {
        case: router.request(headers=bearer(es256_token(key, _payload(members, now=now)))).status
        for case, members in _refused(now).items()
    }
    assert statuses == dict.fromkeys(statuses, 401)
    assert backend.requests == 0

    statuses = {
        case: router.request(headers=bearer(es256_token(key, _payload(members, now=now)))).status
        for case, members in _accepted(now).items()
    }
    assert statuses == dict.fromkeys(statuses, 200)
    # and the tokens our signer (PyJWT) mints, with and without nbf
    assert router.request(headers=bearer(token(key))).status == 200
    assert router.request(headers=bearer(token(key, nbf=now - 5))).status == 200
    assert backend.requests == len(statuses) + 2


@pytest.mark.parametrize("both", [False, True])
def test_a_badly_typed_exp_is_refused_with_api_keys_on_too(
    python_backends: Callable[..., list[PythonBackend]],
    start_router: Callable[..., RouterProcess],
    ec_key_pair: Signer,
    both: bool,
) -> None:
    """The claim check sits in the JWT branch of the auth rule, whichever other credential the
    endpoint takes."""
    key, public_path = ec_key_pair
    (backend,) = python_backends("v1")
    spec = make_spec({"name": "v1"}, auth_enabled=both, token_auth_enabled=True)
    router = start_router(
        spec,
        spec.routing,
        {"v1": StaticReplicas((backend.address,))},
        AuthMaterial(
            api_keys=KEYS if both else None,
            token=TokenVerification(str(public_path), ISSUER, AUDIENCE),
        ),
    )
    now = int(time.time())
    string_exp = es256_token(key, _payload('"exp":"9999999999"', now=now))
    assert router.request(headers=bearer(string_exp)).status == 401
    assert router.request(headers=bearer(token(key))).status == 200
    if both:
        assert router.request(headers=bearer(PRIMARY)).status == 200
