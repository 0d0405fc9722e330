"""Stack spec: everything one stack's config declares (`endpoints` and `nodePools`), checked together."""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, ConfigDict, Field, model_validator

from specification.endpoint import EndpointSpec
from specification.node_pool import NodePoolSpec
from specification.placement import placement_errors

__all__ = ["StackSpec"]


def _repeated(names: list[str]) -> list[str]:
    return sorted(name for name, count in Counter(names).items() if count > 1)


class StackSpec(BaseModel):
    """The stack config `model-endpoints:endpoints` and `model-endpoints:nodePools`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    endpoints: list[EndpointSpec] = Field(default_factory=list, description="Endpoints of the stack.")
    node_pools: list[NodePoolSpec] = Field(
        default_factory=list, alias="nodePools", description="Node pools versions can run on."
    )

    @model_validator(mode="after")
    def _check(self) -> StackSpec:
        errors: list[str] = []
        for name in _repeated([e.name for e in self.endpoints]):
            errors.append(f"endpoints: endpoint name {name!r} is used more than once")
        for name in _repeated([p.name for p in self.node_pools]):
            errors.append(f"nodePools: pool name {name!r} is used more than once")
        created = [e.effective_namespace for e in self.endpoints if e.create_namespace]
        for namespace in _repeated(created):
            errors.append(
                f"endpoints: namespace {namespace!r} would be created twice; set "
                "create_namespace: false on all but one endpoint sharing it"
            )
        owners: dict[tuple[str, str], str] = {}
        for endpoint in self.endpoints:
            for object_name in endpoint.object_names:
                key = (endpoint.effective_namespace, object_name)
                if key in owners and owners[key] != endpoint.name:
                    errors.append(
                        f"endpoints: {owners[key]!r} and {endpoint.name!r} would both create "
                        f"{object_name!r} in namespace {key[0]!r}; rename a version or use "
                        "another namespace"
                    )
                owners[key] = endpoint.name
        pools = self.pools_by_name
        for index, endpoint in enumerate(self.endpoints):
            errors += placement_errors(endpoint, pools, f"endpoints[{index}]")
        if errors:
            raise ValueError("\n".join(errors))
        return self

    @property
    def pools_by_name(self) -> dict[str, NodePoolSpec]:
        return {pool.name: pool for pool in self.node_pools}
