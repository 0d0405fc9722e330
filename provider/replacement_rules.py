"""When a TrafficSplit change is a blue/green replacement of a version, and the rules it follows.

Each version's serving definition reaches the split as `versions_serving.<v>`: the digest of its
Deployment's pod template (`components.manifests.green.serving_digest`), the pods it is declared
with, and the green Deployment and Service a replacement creates. The split records the digests
(`serving_digests`); a version whose digest changed is replaced blue/green when

- the endpoint has a `blue_green_update_policy` and live routing (`endpoint`, `namespace`),
- the version was recorded before (a digest to compare with), and
- it takes traffic in the table the routers run (a version at 0% has only pinned requests: its
  Deployment rolls in place, as without a policy), and
- its port and health path stay (`probe`): the routers' green backend probes the old ones until
  the routers roll, after the split, so such a change rolls in place.

A replacement moves one version's own share and nothing else, so a change of the routing, or of
a second version's definition, in the same `up` is refused at preview: apply them one after the
other. Without a policy, a changed digest is recorded and the Deployment rolls in place.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from provider.problems import Problem

__all__ = ["VersionServing", "changed_versions", "moved_probes", "replacement_problems"]

Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class VersionServing(BaseModel):
    """One version's serving definition, as a blue/green replacement needs it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    digest: Sha256Hex = Field(description="SHA-256 of the version Deployment's pod template.")
    fleet: int = Field(
        ge=1,
        description="The pods the version is declared with (`num_replicas`, or the autoscaler's "
        "minimum): green's size, unless blue runs more.",
    )
    green_deployment: dict[str, Any] = Field(
        description="The green Deployment a replacement creates (`<endpoint>-<v>-green`)."
    )
    green_service: dict[str, Any] = Field(
        description="The green pods' headless Service, which the router's `be_<v>_green` resolves."
    )
    probe: str | None = Field(
        default=None,
        description="`<port> <health_path>`: where the router reaches and checks the version's "
        "pods. A replacement that changes it rolls in place: the routers' green backend still "
        "targets the old port and path until they roll, after the replacement.",
    )

    @field_validator("green_deployment", "green_service")
    @classmethod
    def _whole_numbers(cls, manifest: dict[str, Any]) -> dict[str, Any]:
        """Numbers cross the engine's wire as floats; a manifest has none (quantities are
        strings), and the API's client refuses `port: 5001.0`."""
        return _ints(manifest)


def _ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_ints(item) for item in value]
    return value


def changed_versions(
    recorded: dict[str, str] | None, serving: dict[str, VersionServing] | None
) -> list[str]:
    """The versions whose recorded digest differs from their new one (sorted); none when nothing
    was recorded (a split from before digests, or a create) or nothing is given."""
    if not recorded or not serving:
        return []
    return sorted(
        name for name, now in serving.items() if name in recorded and recorded[name] != now.digest
    )


def moved_probes(recorded: dict[str, str] | None, serving: dict[str, VersionServing] | None) -> set[str]:
    """The versions whose router-facing port or health path changed since recorded."""
    if not recorded or not serving:
        return set()
    return {
        name
        for name, now in serving.items()
        if now.probe is not None and name in recorded and recorded[name] != now.probe
    }


def replacement_problems(candidates: list[str], routing_changes: bool) -> list[Problem]:
    """A replacement is one version's, alone: `candidates` are the versions that would be
    replaced, `routing_changes` whether the same change also moves the routing."""
    if len(candidates) > 1:
        return [
            Problem(
                "versions_serving",
                f"versions {', '.join(candidates)} both take traffic and both change their "
                "serving definition: a blue/green replacement moves one version's traffic at a "
                "time, so change one version's definition per `pulumi up`",
            )
        ]
    if candidates and routing_changes:
        return [
            Problem(
                f"versions_serving.{candidates[0]}",
                f"version {candidates[0]}'s serving definition changes (a blue/green replacement) "
                "in the same `pulumi up` as the routing (shares, default or control): apply the "
                "two one after the other, each with its own `pulumi up`",
            )
        ]
    return []
