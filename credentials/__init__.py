"""Credentials of an endpoint, with no Pulumi in sight: what every layer that handles keys shares.

API keys and their hashes (`api_keys`), the ES256 token-signing key pair (`signing_keys`), tokens
with the seed's `refresh_by` (`tokens`), the credentials local mode makes for an endpoint spec
(`endpoint_credentials`), and a deployed stack's secret outputs: read through the Pulumi CLI
(`stack_outputs`) and searched for one endpoint's keys and token settings (`endpoint_outputs`).
The dynamic providers, local mode and the command line all take their primitives from here, so a
local run and a cluster make and check credentials the same way.

Nothing here logs a secret, and every value holding one leaves it out of its `repr`.
"""

from __future__ import annotations

__all__: list[str] = []
