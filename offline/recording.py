"""A mock monitor that records every registered resource: type, name, parent, dependencies, inputs.

`pulumi.runtime.Mocks` alone sees neither parents nor dependencies, so tests could not assert the
graph; the monitor sees the engine's view of each registration.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import dill
import pulumi
from pulumi.runtime.mocks import MockMonitor

__all__ = ["COMPUTED", "DynamicProviderFailure", "RecordedResource", "RecordingMocks", "RecordingMonitor", "Graph"]


@dataclass(frozen=True)
class RecordedResource:
    """One registration as the engine received it."""

    urn: str
    type: str
    name: str
    parent: str
    dependencies: tuple[str, ...]
    custom: bool
    inputs: dict[str, Any]
    secret_paths: tuple[str, ...] = ()  # input paths the program marked secret, e.g. "stringData"
    ignore_changes: tuple[str, ...] = ()  # inputs whose changes Pulumi ignores after creation
    provider: str = ""  # the explicit provider's reference (`<urn>::<id>`), if any
    custom_timeouts: dict[str, str] = field(default_factory=dict)  # create/update/delete, as set

    @property
    def manifest(self) -> dict[str, Any]:
        """A Kubernetes resource's inputs as a manifest, integral floats back to ints.

        The wire format has only doubles (3 -> 3.0); the Kubernetes provider restores integers
        against the schema, so validation here does the same for whole numbers.
        """
        return _ints(self.inputs)


DYNAMIC_TYPE_PREFIX = "pulumi-python:dynamic"
CLOUD_TYPE_PREFIXES = ("azure-native:", "aws:", "gcp:")  # the cloud SDKs' node pools
COMPUTED = "<computed>"  # how an input unknown during a preview is recorded
_SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"  # the wire format's secret wrapper
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def _unwrap_secrets(value: Any, path: str, found: list[str]) -> Any:
    """`value` with secret wrappers replaced by their values (their paths appended to `found`)
    and values unknown during a preview replaced by COMPUTED."""
    if isinstance(value, pulumi.output.Unknown):
        return COMPUTED
    if isinstance(value, dict):
        if value.get(_SECRET_SIG_KEY) == _SECRET_SIG:
            found.append(path)
            return _unwrap_secrets(value.get("value"), path, found)
        return {k: _unwrap_secrets(v, f"{path}.{k}" if path else k, found) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap_secrets(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    return value


def _without_secret_wrappers(value: Any) -> Any:
    """`value` with secret wrappers replaced by their values: what the engine sends a provider
    that does not accept secrets (every dynamic provider); it keeps them secret in state."""
    if isinstance(value, dict):
        if value.get(_SECRET_SIG_KEY) == _SECRET_SIG:
            return _without_secret_wrappers(value.get("value"))
        return {k: _without_secret_wrappers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_secret_wrappers(v) for v in value]
    return value


def _ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


@dataclass
class Graph:
    """Every resource a program registered, in registration order."""

    resources: list[RecordedResource] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)
    secret_exports: set[str] = field(default_factory=set)  # paths of exports that are secrets

    def by_urn(self, urn: str) -> RecordedResource:
        return next(r for r in self.resources if r.urn == urn)

    def of_type(self, type_: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str) -> RecordedResource:
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r}")
        return matches[0]

    def kubernetes(self) -> list[RecordedResource]:
        return [r for r in self.resources if r.type.startswith("kubernetes:")]

    def children(self, parent: RecordedResource) -> list[RecordedResource]:
        return [r for r in self.resources if r.parent == parent.urn]


class DynamicProviderFailure(Exception):
    """A dynamic provider's `check` rejected its inputs, as the engine would report it."""


class RecordingMocks(pulumi.runtime.Mocks):
    """Mocks that echo inputs as outputs, and run dynamic providers as the engine would.

    A dynamic resource's provider is unpickled from its `__provider` input, as the provider
    process does; `check` runs in both modes (the engine checks during a preview too), `create`
    only outside a preview. In a preview, outputs the provider would compute stay unknown, and so
    do a cloud resource's ID and computed outputs.
    """

    def __init__(self, preview: bool = False) -> None:
        self.preview = preview

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ.startswith(DYNAMIC_TYPE_PREFIX):
            return self._dynamic(args)
        outputs = dict(args.inputs)
        if args.typ.startswith("kubernetes:"):
            outputs.setdefault("status", {})
        if self.preview and args.typ.startswith(CLOUD_TYPE_PREFIXES):
            # A cloud resource being created has no ID yet and its computed outputs (ARN,
            # status, ...) are unknown: only its inputs are known, as in a real preview.
            return "", outputs
        return f"{args.name}-id", outputs

    def _dynamic(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        # Not pulumi.dynamic.__main__.get_provider: it reconfigures the runtime's settings,
        # which would replace the mocks'.
        provider = dill.loads(base64.b64decode(inputs["__provider"]))
        news = {key: _without_secret_wrappers(value) for key, value in inputs.items() if value is not None}
        checked = provider.check({}, news)
        if checked.failures:
            problems = "; ".join(f"{f.property}: {f.reason}" for f in checked.failures)
            raise DynamicProviderFailure(f"{args.typ} {args.name}: {problems}")
        if self.preview:
            return "", news
        created = provider.create(checked.inputs or news)
        return created.id, {**(created.outs or {}), "__provider": inputs["__provider"]}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[Any] | None]:
        return {}, None


def _custom_timeouts(request: Any) -> dict[str, str]:
    """The registration's custom timeouts that are set (`{"update": "900s"}`)."""
    timeouts = request.customTimeouts
    return {
        kind: getattr(timeouts, kind)
        for kind in ("create", "update", "delete")
        if getattr(timeouts, kind)
    }


class RecordingMonitor(MockMonitor):
    """MockMonitor that appends every registration to `graph`."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.graph = Graph()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            raw = pulumi.runtime.rpc.deserialize_properties(request.object)
            secret_paths: list[str] = []
            inputs = json.loads(json.dumps(_unwrap_secrets(raw, "", secret_paths), default=str))
            self.graph.resources.append(
                RecordedResource(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    dependencies=tuple(request.dependencies),
                    custom=request.custom,
                    inputs=inputs,
                    secret_paths=tuple(secret_paths),
                    ignore_changes=tuple(request.ignoreChanges),
                    provider=request.provider,
                    custom_timeouts=_custom_timeouts(request),
                )
            )
        return response
