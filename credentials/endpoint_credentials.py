"""The credentials local mode makes for an endpoint spec: two API keys and a token-signing key.

Made with the same functions the dynamic providers use (`new_api_key`, `new_signing_key`), with
the issuer and audience the spec gives a cluster's router, so a local run exercises the very auth a
cluster gets: the router holds only the keys' SHA-256 hashes and the public key. Where the values
are kept is the caller's business (local mode keeps them in its run directory, mode 0600).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from credentials.api_keys import api_key_sha256, new_api_key
from credentials.signing_keys import new_signing_key
from specification.endpoint import TOKEN_ISSUER, EndpointSpec

__all__ = ["EndpointCredentials", "new_endpoint_credentials"]


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
        if self.primary_key is None or self.secondary_key is None:
            return None
        return {
            "primary": api_key_sha256(self.primary_key),
            "secondary": api_key_sha256(self.secondary_key),
        }


def new_endpoint_credentials(spec: EndpointSpec) -> EndpointCredentials:
    """Fresh keys for `spec`: API keys iff `auth_enabled`, a signing key iff
    `token_auth_enabled`; issuer and audience from the spec (`token_issuer`, `token_audience`)."""
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
