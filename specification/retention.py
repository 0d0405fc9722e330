"""Which declared values an `up` applies to a deployed endpoint: seed 004's
`RetainAllVariantProperties` and `ExcludeRetainedVariantProperties`, in snake_case.

SageMaker retains a variant's live instance count and weight across an endpoint update when
asked to, except the properties listed as excluded. Here the properties are a fixed-count
version's replica count (`DesiredInstanceCount`: `num_replicas`) and the routing table
(`DesiredWeight`: `traffic_percentile`, and the default version that takes the remainder). An
autoscaled version's count is never reset by `up` whatever this says: the autoscaler owns it.
`DataCaptureConfig` is refused: the seed does not support it either, and `collect_model_data`
changes what a version's pods run, so it is always the declared value.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DATA_CAPTURE_REFUSED",
    "ExcludedVariantProperty",
    "RetainableProperty",
    "VariantPropertyType",
    "retained_properties",
    "retention_problems",
]

VariantPropertyType = Literal["DesiredInstanceCount", "DesiredWeight", "DataCaptureConfig"]
RetainableProperty = Literal["DesiredInstanceCount", "DesiredWeight"]
_RETAINABLE: tuple[RetainableProperty, ...] = ("DesiredInstanceCount", "DesiredWeight")

DATA_CAPTURE_REFUSED = (
    "DataCaptureConfig is not supported (the seed: not currently supported): model data "
    "collection is each version's collect_model_data, which is always applied as declared; "
    "remove this entry"
)


class ExcludedVariantProperty(BaseModel):
    """A property whose declared value an `up` applies even though the others are retained."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    variant_property_type: VariantPropertyType = Field(
        description="`DesiredInstanceCount`: fixed-count versions' `num_replicas`. "
        "`DesiredWeight`: the versions' `traffic_percentile` and the default version. "
        "`DataCaptureConfig` is refused (not supported by the seed either)."
    )


def retention_problems(retain: bool, excluded: list[ExcludedVariantProperty]) -> list[str]:
    """The rules on the pair: exclusions only with retention, no repeats, no data capture."""
    field = "exclude_retained_variant_properties"
    problems = []
    kinds = [entry.variant_property_type for entry in excluded]
    for index, kind in enumerate(kinds):
        if kind == "DataCaptureConfig":
            problems.append(f"{field}[{index}].variant_property_type: {DATA_CAPTURE_REFUSED}")
    repeated = sorted(kind for kind, count in Counter(kinds).items() if count > 1)
    if repeated:
        problems.append(f"{field}: each property once; repeated: {', '.join(repeated)}")
    if excluded and not retain:
        problems.append(
            f"{field}: only applies with retain_all_variant_properties: true (without it every "
            "declared value is applied anyway); set retain_all_variant_properties or remove "
            "the list"
        )
    return problems


def retained_properties(
    retain: bool, excluded: list[ExcludedVariantProperty]
) -> tuple[RetainableProperty, ...]:
    """The properties whose live values an `up` keeps, in the seed's order."""
    if not retain:
        return ()
    dropped = {entry.variant_property_type for entry in excluded}
    return tuple(kind for kind in _RETAINABLE if kind not in dropped)
