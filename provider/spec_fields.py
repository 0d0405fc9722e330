"""Provider inputs reuse the endpoint spec's field definitions, so defaults and bounds live once.

`auth_enabled`, `properties`, `primary_key_rotation`, ... are declared in `EndpointSpec`; a
provider's inputs model takes a copy of that declaration instead of restating it.
"""

from __future__ import annotations

import copy
from typing import Any

from specification.endpoint import EndpointSpec

__all__ = ["endpoint_field"]


def endpoint_field(name: str) -> Any:
    """A copy of `EndpointSpec`'s declaration of `name` (default, bounds, description).

    Typed `Any`, as pydantic types `Field()`, so `x: int = endpoint_field("x")` type-checks."""
    return copy.deepcopy(EndpointSpec.model_fields[name])
