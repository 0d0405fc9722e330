"""The TokenSigner resource: the ES256 key pair an endpoint's tokens are signed and verified with.

The private key is a secret output (`additional_secret_outputs`), read back only to mint tokens
(`credentials.tokens.get_token`); the public key, key id, issuer and audience are plain outputs for
the router.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic

from provider.lifecycle import InputsProvider
from provider.problems import Problem
from provider.signing_key_rules import (
    TokenSignerInputs,
    rotation_problems,
    signing_key_outputs,
)

__all__ = ["TokenSigner", "TokenSignerArgs", "TokenSignerProvider", "TOKEN_SIGNER_SECRET_OUTPUTS"]

TOKEN_SIGNER_SECRET_OUTPUTS = ["private_key_pem"]


class TokenSignerProvider(InputsProvider[TokenSignerInputs]):
    """Generates the pair on create and a new one whenever the rotation counter is raised."""

    inputs_model = TokenSignerInputs

    def transition_problems(self, old: TokenSignerInputs, new: TokenSignerInputs) -> list[Problem]:
        return rotation_problems(old, new)

    def outputs(
        self, new: TokenSignerInputs, old: TokenSignerInputs | None, old_outputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        return signing_key_outputs(new, old, old_outputs)


@dataclass(frozen=True)
class TokenSignerArgs:
    """Inputs of TokenSigner: the claims tokens carry, and the key's rotation counter."""

    issuer: pulumi.Input[str]
    audience: pulumi.Input[str]
    token_signing_key_rotation: pulumi.Input[int] = 0


class TokenSigner(pulumi.dynamic.Resource, module="model-endpoints", name="TokenSigner"):
    """An endpoint's token-signing key pair.

    Outputs: `private_key_pem` (secret; PKCS#8 PEM), `public_key_pem` (SubjectPublicKeyInfo PEM),
    `key_id` (RFC 7638 thumbprint, the tokens' `kid`), and `issuer`, `audience`,
    `token_signing_key_rotation` as given.
    """

    issuer: pulumi.Output[str]
    audience: pulumi.Output[str]
    token_signing_key_rotation: pulumi.Output[int]
    private_key_pem: pulumi.Output[str]
    public_key_pem: pulumi.Output[str]
    key_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: TokenSignerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props: dict[str, Any] = {
            "issuer": args.issuer,
            "audience": args.audience,
            "token_signing_key_rotation": args.token_signing_key_rotation,
            "private_key_pem": None,
            "public_key_pem": None,
            "key_id": None,
        }
        secret = pulumi.ResourceOptions(additional_secret_outputs=TOKEN_SIGNER_SECRET_OUTPUTS)
        opts = pulumi.ResourceOptions.merge(opts, secret)
        super().__init__(TokenSignerProvider(), name, props, opts)
