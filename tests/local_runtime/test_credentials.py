"""A local run's key files: written private (mode 0600) and read back, only what auth needs."""

from __future__ import annotations

import stat
from pathlib import Path

from local_runtime.credentials import (
    new_endpoint_credentials,
    read_credentials,
    write_credentials,
)
from specification.endpoint import EndpointSpec


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keys_are_written_private_and_read_back(tmp_path: Path) -> None:
    spec = EndpointSpec.model_validate(
        {"name": "ep", "token_auth_enabled": True, "versions": [{"name": "v1", "image": "m:1"}]}
    )
    credentials = new_endpoint_credentials(spec)
    primary = credentials.primary_key
    assert primary is not None and primary != credentials.secondary_key
    assert len(primary) == 43  # secrets.token_urlsafe(32)
    assert primary not in repr(credentials)
    write_credentials(tmp_path / "keys", credentials)
    assert {p.name: _mode(p) for p in (tmp_path / "keys").iterdir()} == {
        "ep.json": 0o600,
        "ep-token-signing-key.pem": 0o600,
    }
    assert read_credentials(tmp_path / "keys", "ep") == credentials
    assert (credentials.issuer, credentials.audience) == ("model-endpoints", "ep")


def test_no_keys_without_auth_and_no_signing_key_without_token_auth(tmp_path: Path) -> None:
    spec = EndpointSpec.model_validate(
        {"name": "ep", "auth_enabled": False, "versions": [{"name": "v1", "image": "m:1"}]}
    )
    credentials = new_endpoint_credentials(spec)
    assert credentials.key_hashes() is None and credentials.signing_key_pem is None
    write_credentials(tmp_path, credentials)
    assert [p.name for p in tmp_path.iterdir()] == ["ep.json"]
