"""Fixtures for the credentials tests: a signing key and a fake `pulumi` CLI exporting it."""

from __future__ import annotations

from pathlib import Path

import pytest

from credentials.signing_keys import SigningKey, new_signing_key
from tests.credentials.fake_pulumi import FakePulumi


@pytest.fixture
def signing_key() -> SigningKey:
    return new_signing_key()


@pytest.fixture
def fake_pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signing_key: SigningKey) -> FakePulumi:
    """A fake `pulumi` first on PATH, exporting endpoint `fraud` as the stack program would:
    plain fields under `endpoints`, the secret key under a separate export."""
    fake = FakePulumi(
        tmp_path,
        {
            "endpoints": {
                "fraud": {
                    "namespace": "fraud",
                    "token_issuer": "https://fraud.example",
                    "token_audience": "fraud",
                },
                "churn": {"namespace": "churn"},
            },
            "endpoint_secrets": {"fraud": {"token_signing_key": signing_key.private_key_pem}},
            "effective_traffic": {"fraud": {"v1": 100.0}},
        },
    )
    monkeypatch.setenv("PATH", fake.path)
    return fake
