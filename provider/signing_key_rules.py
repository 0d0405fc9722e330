"""The TokenSigner resource's rules: its inputs, when its key pair is replaced, and its outputs.

The private key signs tokens (`credentials.tokens.get_token`) and never leaves Pulumi's secret
state; the public key and the issuer/audience go to the router. Raising
`token_signing_key_rotation` makes a new pair: tokens signed with the old key stop verifying once
the router has the new public key. How a pair is made and loaded is `credentials.signing_keys`;
this module decides when, from the provider's old and new state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from credentials.signing_keys import SigningKey, new_signing_key, signing_key_from_pem
from provider.problems import Problem
from provider.rotation import lowered_counter_problem
from provider.spec_fields import endpoint_field

__all__ = [
    "CLAIM_PATTERN",
    "TokenSignerInputs",
    "rotation_problems",
    "signing_key_outputs",
]

# The characters the router accepts in an `iss`/`aud` it writes into its ACLs; checked here too so
# a bad value fails at preview rather than when the router config is rendered.
CLAIM_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,254}$"

Claim = Annotated[str, Field(pattern=CLAIM_PATTERN)]


class TokenSignerInputs(BaseModel):
    """Who issues the endpoint's tokens, for whom, and the key's rotation counter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: Claim = Field(description="The `iss` claim tokens carry and the router expects.")
    audience: Claim = Field(description="The `aud` claim tokens carry and the router expects.")
    token_signing_key_rotation: int = endpoint_field("token_signing_key_rotation")


def rotation_problems(old: TokenSignerInputs, new: TokenSignerInputs) -> list[Problem]:
    """A problem if the rotation counter went down (a key pair cannot be un-rotated)."""
    counter = "token_signing_key_rotation"
    problem = lowered_counter_problem(counter, getattr(old, counter), getattr(new, counter))
    return [problem] if problem is not None else []


def signing_key_outputs(
    new: TokenSignerInputs, old: TokenSignerInputs | None, old_outputs: Mapping[str, Any]
) -> dict[str, Any]:
    """The inputs, the key pair and its id. The pair is kept from `old_outputs` unless the
    rotation counter changed (or the recorded key is unusable); a new issuer keeps the key."""
    keep = old is not None and old.token_signing_key_rotation == new.token_signing_key_rotation
    pair: SigningKey | None = None
    if keep and isinstance(old_outputs.get("private_key_pem"), str):
        try:
            pair = signing_key_from_pem(old_outputs["private_key_pem"])
        except ValueError:
            pair = None
    pair = pair or new_signing_key()
    return {
        **new.model_dump(mode="json"),
        "private_key_pem": pair.private_key_pem,
        "public_key_pem": pair.public_key_pem,
        "key_id": pair.key_id,
    }
