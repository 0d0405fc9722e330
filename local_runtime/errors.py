"""Errors of the local runtime: each one says what went wrong and what the user can do about it.

The command line prints the message of a `LocalRunError` as it is (no traceback), so every message
names the stack, version, port or file concerned and, where there is one, the fix.
"""

from __future__ import annotations

__all__ = [
    "AlreadyRunningError",
    "ForeignRunDirectoryError",
    "HAProxyMissingError",
    "LocalRunError",
    "ModelChecksumError",
    "ModelFetchError",
    "NotRunningError",
    "PortInUseError",
    "ReplicaStartError",
    "RouterStartError",
    "VenvBuildError",
]


class LocalRunError(Exception):
    """A local run cannot be started, inspected or stopped; the message says why and the fix."""


class AlreadyRunningError(LocalRunError):
    """`local up` for a stack whose local run is still (partly) running."""


class ForeignRunDirectoryError(LocalRunError):
    """A stack's run directory exists but `local up` did not create it: it is never removed."""


class NotRunningError(LocalRunError):
    """A command needs a local run of the stack and there is none."""


class PortInUseError(LocalRunError):
    """A port the run would listen on is taken by another process."""

    def __init__(self, port: int, purpose: str, hint: str = "") -> None:
        self.port = port
        self.purpose = purpose
        message = f"port {port} ({purpose}) is already in use on 127.0.0.1"
        super().__init__(f"{message}; {hint}" if hint else message)


class ReplicaStartError(LocalRunError):
    """A version's inference server exited or never answered its health check."""

    def __init__(self, endpoint: str, version: str, reason: str, log_tail: str = "") -> None:
        self.endpoint = endpoint
        self.version = version
        self.reason = reason
        self.log_tail = log_tail  # the end of the server's output, for the details
        super().__init__(f"version {version} of endpoint {endpoint} failed to start: {reason}")


class RouterStartError(LocalRunError):
    """HAProxy rejected the rendered configuration or did not come up."""


class VenvBuildError(LocalRunError):
    """pip could not build a version's virtualenv."""


class HAProxyMissingError(LocalRunError):
    """Debian's haproxy is not installed."""


class ModelFetchError(LocalRunError):
    """A model could not be fetched (the storage package's own words), or is not where it was said."""


class ModelChecksumError(ModelFetchError):
    """A model's content does not have the `sha256` the spec expects; both digests are named."""
