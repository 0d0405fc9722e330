"""The SDK's own dynamic-provider server in a subprocess, and a client that speaks to it as the engine does.

The engine starts `python -u -m pulumi.dynamic <engine address>` in the project directory and
reads the port from its first line of stdout; then it sends Configure, Check, Diff, Create,
Update, Read and Delete with properties serialized by the SDK, `__provider` holding the pickled
provider. `ProviderClient` does the same, with plain dicts in and out.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2
from pulumi.runtime.proto.provider_pb2_grpc import ResourceProviderStub

__all__ = ["PROJECT_DIR", "ProviderServer", "ProviderClient", "CheckAnswer"]

PROJECT_DIR = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 15.0
CALL_TIMEOUT_SECONDS = 10.0


class ProviderServer:
    """`python -u -m pulumi.dynamic` as a child process; `stop()` ends it."""

    def __init__(self) -> None:
        self._log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic", "127.0.0.1:0"],
            cwd=PROJECT_DIR,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )
        self.port = self._read_port()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.stub = ResourceProviderStub(self.channel)

    def _read_port(self) -> int:
        assert self.process.stdout is not None
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT_SECONDS)
        if not line or not line[0].strip().isdigit():
            self.stop()
            raise RuntimeError(f"pulumi.dynamic printed no port; its stderr:\n{self.stderr()}")
        return int(line[0])

    def stderr(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def stop(self) -> None:
        if getattr(self, "channel", None) is not None:
            self.channel.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()


def _to_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    # A private loop, as the SDK's server does: asyncio.run would leave the thread without a
    # current loop, which Pulumi's mocks (run later in the same process) need.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


def _from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    props = rpc.deserialize_properties(struct, keep_unknowns=True)
    props.pop("__provider", None)
    return props


class CheckAnswer:
    """A Check response as dicts: the checked inputs and `{property: reason}` failures."""

    def __init__(self, response: provider_pb2.CheckResponse) -> None:
        self.inputs = _from_struct(response.inputs)
        self.failures = {failure.property: failure.reason for failure in response.failures}


class ProviderClient:
    """Drives one dynamic provider through the server with the engine's requests."""

    def __init__(self, server: ProviderServer, provider: ResourceProvider, type_name: str) -> None:
        self.stub = server.stub
        self.serialized_provider = serialize_provider(provider)
        self.urn = f"urn:pulumi:test::model-endpoints::pulumi-python:dynamic/model-endpoints:{type_name}::r"

    def _struct(self, props: dict[str, Any]) -> struct_pb2.Struct:
        return _to_struct({**props, "__provider": self.serialized_provider})

    def configure(self) -> provider_pb2.ConfigureResponse:
        return self.stub.Configure(
            provider_pb2.ConfigureRequest(args=struct_pb2.Struct(), acceptSecrets=True),
            timeout=CALL_TIMEOUT_SECONDS,
        )

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckAnswer:
        request = provider_pb2.CheckRequest(
            urn=self.urn, olds=self._struct(olds) if olds else struct_pb2.Struct(), news=self._struct(news)
        )
        return CheckAnswer(self.stub.Check(request, timeout=CALL_TIMEOUT_SECONDS))

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> int:
        """The DiffResponse's `changes`: DIFF_SOME, DIFF_NONE or DIFF_UNKNOWN."""
        request = provider_pb2.DiffRequest(
            id=id_, urn=self.urn, olds=self._struct(olds), news=self._struct(news)
        )
        return self.stub.Diff(request, timeout=CALL_TIMEOUT_SECONDS).changes

    def create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        request = provider_pb2.CreateRequest(urn=self.urn, properties=self._struct(props))
        response = self.stub.Create(request, timeout=CALL_TIMEOUT_SECONDS)
        return response.id, _from_struct(response.properties)

    def update(
        self, id_: str, olds: dict[str, Any], news: dict[str, Any], timeout: float = CALL_TIMEOUT_SECONDS
    ) -> dict[str, Any]:
        """The updated outputs; `timeout` for an update that walks a shift."""
        request = provider_pb2.UpdateRequest(
            id=id_, urn=self.urn, olds=self._struct(olds), news=self._struct(news)
        )
        return _from_struct(self.stub.Update(request, timeout=timeout).properties)

    def read(self, id_: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        request = provider_pb2.ReadRequest(id=id_, urn=self.urn, properties=self._struct(props))
        response = self.stub.Read(request, timeout=CALL_TIMEOUT_SECONDS)
        return response.id, _from_struct(response.properties)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        request = provider_pb2.DeleteRequest(id=id_, urn=self.urn, properties=self._struct(props))
        self.stub.Delete(request, timeout=CALL_TIMEOUT_SECONDS)
