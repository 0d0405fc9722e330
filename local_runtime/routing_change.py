"""Whether a change of a stack's config can be applied to its running local run, and how.

`local apply` accepts two kinds of change. Per endpoint, changes of each version's
`traffic_percentile`, `is_default` and `is_control_version_type` (the routing table: shares,
default, control), of the endpoint's `deployment_config` and `prometheus_url` (how a change is
stepped and watched), and of `retain_all_variant_properties` and
`exclude_retained_variant_properties` (whether declared weights are applied at all: with retained
weights `local apply` keeps the live table, as `pulumi up` does; a retained replica count needs
nothing here, a changed count being refused anyway) move traffic. Changes of a version's serving
definition (`SERVING_FIELDS`: its image, inference config, environment, models and resources,
and the entry script's content) replace the version blue/green (`serving_differences`). Anything else (a
version or endpoint added or removed, replicas, auth, timeouts, ...) means another topology or
router configuration: it is refused, every such difference listed as `path: old -> new`, with the
way out (restart the run). Node pools never reach a local run and are not compared. The order of
versions does not matter here; the default it may imply is part of the table, and it may move
only as `pulumi up` lets it (`default_move_problem`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from local_runtime.errors import LocalRunError
from specification.endpoint import EndpointSpec
from specification.routing import default_move_reason

__all__ = [
    "POLICY_FIELDS",
    "ROUTING_FIELDS",
    "SERVING_FIELDS",
    "RestartRequiredError",
    "default_move_problem",
    "endpoint_differences",
    "serving_differences",
    "stack_differences",
]

ROUTING_FIELDS = ("traffic_percentile", "is_default", "is_control_version_type")  # per version
POLICY_FIELDS = (  # per endpoint
    "deployment_config",
    "prometheus_url",
    "retain_all_variant_properties",
    "exclude_retained_variant_properties",
)
# A version's serving definition: what its replicas run. A change replaces them blue/green.
SERVING_FIELDS = (
    "image",
    "inference_config",
    "env",
    "models",
    "cpu_cores",
    "memory_gb",
    "cpu_cores_limit",
    "memory_gb_limit",
    "gpu_cores",
)
_SHOWN_CHARACTERS = 60


class RestartRequiredError(LocalRunError):
    """Changes `local apply` cannot make to a running run; `differences` lists them."""

    def __init__(self, stack: str, differences: Sequence[str]) -> None:
        listed = "\n".join(f"  {line}" for line in differences)
        super().__init__(
            f"the config of stack {stack} changed beyond what `local apply` changes (traffic: "
            "shares, default, control; a version's serving definition: image, inference config, "
            f"environment, models, resources), so it changed nothing:\n{listed}\n"
            f"restart the run to apply these: `model-endpoints local down --stack {stack}` then "
            f"`model-endpoints local up --stack {stack}`"
        )
        self.differences = tuple(differences)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARACTERS else text[: _SHOWN_CHARACTERS - 3] + "..."


def _compare(path: str, old: Any, new: Any, found: list[str]) -> None:
    """Append `path: old -> new` for every leaf that differs (dicts compared key by key)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new), key=str):
            _compare(f"{path}.{key}", old.get(key), new.get(key), found)
    elif old != new:
        found.append(f"{path}: {_shown(old)} -> {_shown(new)}")


def _versions(spec: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(version["name"]): dict(version) for version in spec.get("versions") or []}


def endpoint_differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """What differs between two JSON forms of an endpoint's spec (`model_dump(mode="json")`)
    other than routing, policy and serving fields, one line each, paths named as in the config."""
    found: list[str] = []
    old_versions, new_versions = _versions(old), _versions(new)
    for name in sorted(set(new_versions) - set(old_versions)):
        found.append(f"versions: version {name} added")
    for name in sorted(set(old_versions) - set(new_versions)):
        found.append(f"versions: version {name} removed")
    unlisted = (*ROUTING_FIELDS, *SERVING_FIELDS)
    for name in sorted(set(old_versions) & set(new_versions)):
        before = {k: v for k, v in old_versions[name].items() if k not in unlisted}
        after = {k: v for k, v in new_versions[name].items() if k not in unlisted}
        _compare(f"versions[{name}]", before, after, found)
    skipped = {"versions", *POLICY_FIELDS}
    for key in sorted(set(old) | set(new)):
        if key not in skipped:
            _compare(key, old.get(key), new.get(key), found)
    return found


def serving_differences(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    old_digests: Mapping[str, str] | None = None,
    new_digests: Mapping[str, str] | None = None,
) -> dict[str, list[str]]:
    """`{version: [difference, ...]}` for each version (in both forms) whose serving definition
    changed: its `SERVING_FIELDS`, or its entry script's content (`*_digests`: version -> the
    script's SHA-256; a version missing from either is not compared by content)."""
    changed: dict[str, list[str]] = {}
    old_versions, new_versions = _versions(old), _versions(new)
    for name in sorted(set(old_versions) & set(new_versions)):
        found: list[str] = []
        before = {k: v for k, v in old_versions[name].items() if k in SERVING_FIELDS}
        after = {k: v for k, v in new_versions[name].items() if k in SERVING_FIELDS}
        _compare(f"versions[{name}]", before, after, found)
        was, now = (old_digests or {}).get(name), (new_digests or {}).get(name)
        if not found and was and now and was != now:
            found.append(
                f"versions[{name}].inference_config.entry_script: content changed "
                f"(sha256 {was[:12]}... -> {now[:12]}...)"
            )
        if found:
            changed[name] = found
    return changed


def stack_differences(
    old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """`endpoint_differences` of every endpoint (`{name: spec JSON}`), each line prefixed with
    the endpoint's name; endpoints added or removed are differences too."""
    found = [f"endpoint {name} added" for name in new if name not in old]
    found += [f"endpoint {name} removed" for name in old if name not in new]
    for name in new:
        if name in old:
            found += [f"{name}: {line}" for line in endpoint_differences(old[name], new[name])]
    return found


def default_move_problem(old: EndpointSpec, new: EndpointSpec) -> str | None:
    """The TrafficSplit's rule, as `pulumi preview` applies it
    (`specification.routing.default_move_reason`): the default version moves only when a version
    sets `is_default`, never because another version is now listed first. None when the change
    keeps to it."""
    return default_move_reason(
        old.default_version,
        new.default_version,
        (version.name for version in new.versions),
        new.is_default_set,
    )
