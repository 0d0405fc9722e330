"""Dynamic providers: the state of an endpoint that Pulumi must diff, preview and remember.

`TrafficSplit` (the router's weights and A/B roles), `ApiKeys` (two keys, rotated one at a time),
`TokenSigner` (the ES256 key pair tokens are signed with) and `EndpointRecord` (the seed's
`update()` fields, with add-only properties).

`provider.tokens.get_token` mints a token with the signer's key; `python -m provider.get_token`
does so for a deployed stack. (The function is not re-exported here: importing the command module
`provider.get_token` would replace a package attribute of the same name.)
"""

from __future__ import annotations

from provider.api_keys import ApiKeys, ApiKeysArgs
from provider.endpoint_record import EndpointRecord, EndpointRecordArgs
from provider.token_signer import TokenSigner, TokenSignerArgs
from provider.traffic_split import TrafficSplit, TrafficSplitArgs

__all__ = [
    "ApiKeys",
    "ApiKeysArgs",
    "EndpointRecord",
    "EndpointRecordArgs",
    "TokenSigner",
    "TokenSignerArgs",
    "TrafficSplit",
    "TrafficSplitArgs",
]
