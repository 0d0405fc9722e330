"""An endpoint's local credentials: two API keys and a token-signing key, made as a deploy does.

The keys come from the same functions the dynamic providers use (`secrets.token_urlsafe(32)`, an
ES256 key pair), so a local run exercises the very auth a cluster gets: the router holds only the
keys' SHA-256 hashes and the public key. The keys themselves stay in the run directory, mode 0600,
for `keys` and `get-token`; they are printed only where the user asks for them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from local_runtime.errors import LocalRunError
from local_runtime.private_files import write_private
from specification.endpoint import TOKEN_ISSUER, EndpointSpec

__all__ = [
    "EndpointCredentials",
    "keys_file",
    "new_endpoint_credentials",
    "read_credentials",
    "signing_key_file",
    "write_credentials",
]


@dataclass(frozen=True)
class EndpointCredentials:
    """What an endpoint's clients authenticate with. `repr` leaves every secret out."""

    endpoint: str
    primary_key: str | None = field(default=None, repr=False)  # None: auth_enabled is false
    secondary_key: str | None = field(default=None, repr=False)
    signing_key_pem: str | None = field(default=None, repr=False)  # None: token auth is off
    public_key_pem: str | None = None
    issuer: str = TOKEN_ISSUER
    audience: str = ""

    def key_hashes(self) -> dict[str, str] | None:
        """`{"primary": sha256 hex, "secondary": ...}`, what the router holds; None without keys."""
        from provider.api_key_state import api_key_sha256

        if self.primary_key is None or self.secondary_key is None:
            return None
        return {
            "primary": api_key_sha256(self.primary_key),
            "secondary": api_key_sha256(self.secondary_key),
        }


def new_endpoint_credentials(spec: EndpointSpec) -> EndpointCredentials:
    """Fresh keys for `spec`: API keys iff `auth_enabled`, a signing key iff
    `token_auth_enabled`."""
    from provider.api_key_state import new_api_key
    from provider.signing_key_state import new_signing_key

    signing = new_signing_key() if spec.token_auth_enabled else None
    return EndpointCredentials(
        endpoint=spec.name,
        primary_key=new_api_key() if spec.auth_enabled else None,
        secondary_key=new_api_key() if spec.auth_enabled else None,
        signing_key_pem=signing.private_key_pem if signing else None,
        public_key_pem=signing.public_key_pem if signing else None,
        issuer=spec.token_issuer,
        audience=spec.token_audience,
    )


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
