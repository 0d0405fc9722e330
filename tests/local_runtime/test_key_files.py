"""A local run's key files: private from the first byte (mode 0600), read back as written."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from credentials.endpoint_credentials import new_endpoint_credentials
from local_runtime.errors import LocalRunError
from local_runtime.key_files import keys_file, read_credentials, write_credentials
from specification.endpoint import EndpointSpec


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _spec(**fields: object) -> EndpointSpec:
    return EndpointSpec.model_validate(
        {"name": "ep", "versions": [{"name": "v1", "image": "m:1"}], **fields}
    )


def test_keys_are_written_private_and_read_back(tmp_path: Path) -> None:
    credentials = new_endpoint_credentials(_spec(token_auth_enabled=True))
    write_credentials(tmp_path / "keys", credentials)
    assert {p.name: _mode(p) for p in (tmp_path / "keys").iterdir()} == {
        "ep.json": 0o600,
        "ep-token-signing-key.pem": 0o600,
    }
    assert _mode(tmp_path / "keys") == 0o700
    assert read_credentials(tmp_path / "keys", "ep") == credentials


def test_no_signing_key_file_without_token_auth(tmp_path: Path) -> None:
    credentials = new_endpoint_credentials(_spec(auth_enabled=False))
    write_credentials(tmp_path, credentials)
    assert [p.name for p in tmp_path.iterdir()] == ["ep.json"]
    assert read_credentials(tmp_path, "ep") == credentials


def test_missing_or_damaged_keys_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(LocalRunError, match=r"cannot read the local keys of endpoint ep \(.*ep\.json\)"):
        read_credentials(tmp_path, "ep")
    keys_file(tmp_path, "ep").write_text("{not json")
    with pytest.raises(LocalRunError, match="cannot read the local keys of endpoint ep"):
        read_credentials(tmp_path, "ep")
