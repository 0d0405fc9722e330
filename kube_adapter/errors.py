"""Errors a user can act on, translated from what the Kubernetes client raises.

Each names what was asked (verb, resource, object, namespace) and where (the API server and the
kubeconfig context), never a credential.
"""

from __future__ import annotations

import json
import socket
import ssl
from dataclasses import dataclass

__all__ = [
    "ClusterError",
    "KubeconfigError",
    "UnreachableError",
    "UnauthorizedError",
    "ForbiddenError",
    "NotFoundError",
    "ConflictError",
    "Call",
    "error_for_status",
    "error_for_network",
    "status_reason",
]


class ClusterError(Exception):
    """A call to the Kubernetes API failed; the message says what to do."""


class KubeconfigError(ClusterError):
    """No usable kubeconfig: missing, malformed, an unknown context or a failed credential plugin."""


class UnreachableError(ClusterError):
    """The API server did not answer (refused, timed out, TLS failed, name not resolved)."""


class UnauthorizedError(ClusterError):
    """The API server rejected the credentials (401)."""


class ForbiddenError(ClusterError):
    """RBAC denied the call (403)."""


class NotFoundError(ClusterError):
    """The object does not exist (404)."""


class ConflictError(ClusterError):
    """The object changed since it was read (409): the write was refused, nothing was changed."""


@dataclass(frozen=True)
class Call:
    """One API call, as messages name it: `patch configmaps 'x' in namespace 'ns'`."""

    verb: str  # the RBAC verb: get, list, create, update, patch, delete
    resource: str  # the RBAC resource: configmaps, pods, pods/proxy, deployments, services
    namespace: str
    kind: str  # what the user knows the object as: ConfigMap, Pod, Deployment, Service
    name: str | None = None  # None for a list

    def target(self) -> str:
        what = f"{self.kind} '{self.name}'" if self.name else f"{self.resource}"
        return f"{what} in namespace '{self.namespace}'"


def _server_message(body: str | bytes | None) -> str:
    """The `message` of the API server's Status answer, or the body's first line."""
    if not body:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        status = json.loads(text)
    except ValueError:
        return text.strip().splitlines()[0][:300] if text.strip() else ""
    if isinstance(status, dict) and isinstance(status.get("message"), str):
        return str(status["message"])
    return text.strip()[:300]


def status_reason(body: str | bytes | None) -> str:
    """The `reason` of the API server's Status answer (`AlreadyExists`, `Conflict`, ...), or ""."""
    try:
        status = json.loads(body or "")
    except ValueError:
        return ""
    reason = status.get("reason") if isinstance(status, dict) else None
    return reason if isinstance(reason, str) else ""


def error_for_status(status: int, body: str | bytes | None, call: Call, where: str) -> ClusterError:
    """The error for an HTTP error answer of the API server to `call`."""
    said = _server_message(body)
    detail = f" (the API server said: {said})" if said else ""
    if status == 404:
        return NotFoundError(f"{call.target()} not found at {where}{detail}")
    if status == 403:
        return ForbiddenError(
            f"forbidden: the kubeconfig's user may not {call.verb} {call.resource} in namespace "
            f"'{call.namespace}' ({where}){detail}; grant it with a Role and RoleBinding "
            f"(RBAC: verb '{call.verb}' on '{call.resource}')"
        )
    if status == 401:
        return UnauthorizedError(
            f"the API server rejected the credentials of {where} (401 Unauthorized){detail}; "
            "log in again or refresh the kubeconfig"
        )
    if status == 409:
        return ConflictError(
            f"{call.target()} was changed by someone else since it was read, so it was not "
            f"written{detail}; read it again and retry"
        )
    return ClusterError(f"{call.verb} {call.target()} failed at {where}: HTTP {status}{detail}")


def _reason(error: BaseException) -> str:
    """The root cause of a network failure in a few words."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, socket.gaierror):
            return f"host name not resolved ({current.strerror})"
        if isinstance(current, ssl.SSLError):
            return f"TLS failed ({current.reason or current}): check the cluster's certificate-authority"
        if isinstance(current, TimeoutError):
            return "timed out"
        reason = getattr(current, "reason", None)
        pending.extend(
            [reason if isinstance(reason, BaseException) else None, current.__cause__, current.__context__]
        )
    return str(error)


def error_for_network(error: BaseException, call: Call, where: str) -> UnreachableError:
    """The error for a request that got no answer from the API server."""
    return UnreachableError(
        f"cannot reach the Kubernetes API server ({where}) to {call.verb} {call.target()}: {_reason(error)}"
    )
