"""`get_token`: an ES256 JWT with iss/aud/iat/exp, and a refresh_by before exp; reading its exp."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from credentials.signing_keys import new_signing_key
from credentials.tokens import get_token, token_expires_at

NOW = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
HMAC_KEY = "k" * 32  # for tokens that only need to be JWTs


def test_the_token_verifies_with_the_public_key_and_carries_the_claims() -> None:
    pair = new_signing_key()
    token, refresh_by = get_token(
        pair.private_key_pem, issuer="https://ep.example", audience="ep", lifetime=timedelta(hours=1), now=NOW
    )
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256" and header["kid"] == pair.key_id
    claims = jwt.decode(
        token,
        pair.public_key_pem,
        algorithms=["ES256"],
        audience="ep",
        issuer="https://ep.example",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["iat"] == int(NOW.timestamp())
    assert claims["exp"] == int(NOW.timestamp()) + 3600
    assert refresh_by == NOW + timedelta(minutes=48)  # 80% of the lifetime
    assert refresh_by < datetime.fromtimestamp(claims["exp"], UTC)


def test_a_token_from_another_key_does_not_verify() -> None:
    key = new_signing_key().private_key_pem
    token, _ = get_token(key, issuer="i", audience="a", lifetime=timedelta(minutes=1))
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, new_signing_key().public_key_pem, algorithms=["ES256"], audience="a")


def test_the_current_time_is_the_default() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    _, refresh_by = get_token(
        new_signing_key().private_key_pem, issuer="i", audience="a", lifetime=timedelta(seconds=100)
    )
    assert before + timedelta(seconds=80) <= refresh_by <= datetime.now(UTC) + timedelta(seconds=80)


@pytest.mark.parametrize(
    ("lifetime", "now", "message"),
    [
        (timedelta(seconds=0.5), NOW, "at least one second"),
        (timedelta(hours=1), datetime(2030, 1, 1), "timezone-aware"),
    ],
)
def test_bad_arguments_are_rejected(lifetime: timedelta, now: datetime, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        get_token(new_signing_key().private_key_pem, issuer="i", audience="a", lifetime=lifetime, now=now)


def test_expires_at_reads_the_tokens_exp() -> None:
    token, _ = get_token(
        new_signing_key().private_key_pem, issuer="i", audience="a", lifetime=timedelta(hours=1), now=NOW
    )
    assert token_expires_at(token) == NOW + timedelta(hours=1)


@pytest.mark.parametrize(
    "token",
    ["not a jwt", jwt.encode({"iss": "i"}, HMAC_KEY, algorithm="HS256"), jwt.encode({"exp": "soon"}, HMAC_KEY)],
)
def test_expires_at_refuses_a_token_without_a_numeric_exp(token: str) -> None:
    with pytest.raises(ValueError, match="exp claim"):
        token_expires_at(token)
