"""Dynamic providers: the state of an endpoint that Pulumi must diff, preview and remember.

`TrafficSplit` (the router's weights and A/B roles), `ApiKeys` (two keys, rotated one at a time),
`TokenSigner` (the ES256 key pair tokens are signed with), `EndpointRecord` (the seed's
`update()` fields, with add-only properties) and `VersionSettle` (the last step of a cluster
blue/green replacement, whose first steps the TrafficSplit takes).

Each resource's rules (inputs, transitions, outputs) are pure functions in `*_rules` modules; the
credentials themselves (keys, hashes, signing keys, tokens) are made by the `credentials` package,
and `model-endpoints get-token` mints a token with a deployed signer's key.
"""

from __future__ import annotations

from provider.api_keys import ApiKeys, ApiKeysArgs
from provider.endpoint_record import EndpointRecord, EndpointRecordArgs
from provider.replacement_rules import VersionServing
from provider.token_signer import TokenSigner, TokenSignerArgs
from provider.traffic_split import TrafficSplit, TrafficSplitArgs
from provider.version_settle import VersionSettle, VersionSettleArgs

__all__ = [
    "ApiKeys",
    "ApiKeysArgs",
    "EndpointRecord",
    "EndpointRecordArgs",
    "TokenSigner",
    "TokenSignerArgs",
    "TrafficSplit",
    "TrafficSplitArgs",
    "VersionServing",
    "VersionSettle",
    "VersionSettleArgs",
]
