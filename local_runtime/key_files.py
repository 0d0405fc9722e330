"""A local run's key files: where an endpoint's keys are stored in the run directory, and reading
them back.

`local up` makes each endpoint's credentials (`credentials.endpoint_credentials`) and stores them
here, every file mode 0600 from its first byte (`local_runtime.private_files`), for `keys`,
`get-token` and the demo. This module only stores and loads them; finding a running run and
minting its tokens is `local_runtime.run_credentials`.

    <run dir>/keys/<endpoint>.json                     keys, issuer, audience, public key
    <run dir>/keys/<endpoint>-token-signing-key.pem    the private signing key (token auth only)
"""

from __future__ import annotations

import json
from pathlib import Path

from credentials.endpoint_credentials import EndpointCredentials
from local_runtime.errors import LocalRunError
from local_runtime.private_files import write_private
from specification.endpoint import TOKEN_ISSUER

__all__ = [
    "keys_file",
    "read_credentials",
    "signing_key_file",
    "write_credentials",
]


def keys_file(keys_dir: Path, endpoint: str) -> Path:
    return keys_dir / f"{endpoint}.json"


def signing_key_file(keys_dir: Path, endpoint: str) -> Path:
    return keys_dir / f"{endpoint}-token-signing-key.pem"


def write_credentials(keys_dir: Path, credentials: EndpointCredentials) -> None:
    """`<endpoint>.json` (keys, issuer, audience, public key) and the signing key PEM, mode 0600."""
    document = {
        "endpoint": credentials.endpoint,
        "primary_key": credentials.primary_key,
        "secondary_key": credentials.secondary_key,
        "token_issuer": credentials.issuer,
        "token_audience": credentials.audience,
        "token_public_key_pem": credentials.public_key_pem,
    }
    write_private(keys_file(keys_dir, credentials.endpoint), json.dumps(document, indent=2) + "\n")
    if credentials.signing_key_pem is not None:
        write_private(signing_key_file(keys_dir, credentials.endpoint), credentials.signing_key_pem)


def read_credentials(keys_dir: Path, endpoint: str) -> EndpointCredentials:
    """The credentials `write_credentials` stored for `endpoint`."""
    path = keys_file(keys_dir, endpoint)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise LocalRunError(
            f"cannot read the local keys of endpoint {endpoint} ({path}): {error}"
        ) from None
    signing_path = signing_key_file(keys_dir, endpoint)
    return EndpointCredentials(
        endpoint=endpoint,
        primary_key=document.get("primary_key"),
        secondary_key=document.get("secondary_key"),
        signing_key_pem=signing_path.read_text(encoding="utf-8")
        if signing_path.is_file()
        else None,
        public_key_pem=document.get("token_public_key_pem"),
        issuer=document.get("token_issuer") or TOKEN_ISSUER,
        audience=document.get("token_audience") or endpoint,
    )
