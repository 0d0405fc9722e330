"""A Kubernetes API server for exactly the adapter's calls, on 127.0.0.1, from an in-memory store.

It answers as the real one does (paths, `labelSelector`, JSON merge patch with the
`resourceVersion` precondition, `Status` errors with their reasons, a pod's own HTTP answers
through the pod proxy, fixed or scripted per request) and is strict about what it is sent: every
object it stores or a patch produces is validated with kubernetes-validate (strict, the pinned
minor of `tests.kubernetes_schema`), a patch may touch only `data` and
`metadata.resourceVersion`, and every request is recorded, with the time it arrived, for the test
to inspect. A request it does not know is answered 404 and recorded in `unexpected`.
"""

from __future__ import annotations

import copy
import json
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.kubernetes_schema import validate_manifest

__all__ = ["FakeApiServer", "PodAnswer", "RecordedRequest", "running_api_server"]

MERGE_PATCH = "application/merge-patch+json"
_CONNECTION_REFUSED = "dial tcp {ip}:{port}: connect: connection refused"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # decoded, as the API server routes it
    raw_path: str  # as sent on the wire
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any  # parsed JSON, or None
    client_certificate_cn: str | None = None
    at: float = field(default_factory=time.monotonic)  # when it arrived


# What a pod's own HTTP server answers through the pod proxy: `(status, body)`, or a callable that
# makes one per request (a router whose answers change over time). A callable runs under the fake's
# lock, so it may read the store (`config_maps`) but must not call the fake's own methods.
PodAnswer = tuple[int, str] | Callable[[RecordedRequest], tuple[int, str]]


@dataclass
class _Answer:
    status: int
    body: bytes
    content_type: str = "application/json"


def status_answer(code: int, reason: str, message: str, name: str | None = None, kind: str | None = None) -> _Answer:
    status: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if name is not None:
        status["details"] = {"name": name, "kind": kind}
    return _Answer(code, json.dumps(status).encode())


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


@dataclass
class FakeApiServer:
    """The store and the rules; `start()` serves them on 127.0.0.1 until `stop()`."""

    token: str | None = None  # when set, every request needs `Authorization: Bearer <token>`
    tls: ssl.SSLContext | None = None
    config_maps: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    pods: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    deployments: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # (namespace, pod, port, path) -> what the pod's own HTTP server answers (the query is not part
    # of the key: a callable answer can read it from the request)
    pod_http: dict[tuple[str, str, int, str], PodAnswer] = field(default_factory=dict)
    forbidden: set[tuple[str, str, str]] = field(default_factory=set)  # (verb, resource, namespace)
    requests: list[RecordedRequest] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    _resource_version: int = 100
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # -- the store ------------------------------------------------------------------------------
    def _next_version(self) -> str:
        self._resource_version += 1
        return str(self._resource_version)

    def _stored(self, manifest: dict[str, Any]) -> dict[str, Any]:
        manifest = copy.deepcopy(manifest)
        manifest["metadata"]["resourceVersion"] = self._next_version()
        manifest["metadata"].setdefault("uid", f"uid-{manifest['metadata']['name']}")
        validate_manifest(manifest)
        return manifest

    def put(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Store a ConfigMap, Pod or Deployment (validated), with a new resourceVersion."""
        stored = self._stored(manifest)
        key = (stored["metadata"]["namespace"], stored["metadata"]["name"])
        table = {"ConfigMap": self.config_maps, "Pod": self.pods, "Deployment": self.deployments}[stored["kind"]]
        with self._lock:
            table[key] = stored
        return stored

    def change_config_map(self, namespace: str, name: str, data: dict[str, str]) -> str:
        """Another writer changes the ConfigMap: its data and resourceVersion move on."""
        with self._lock:
            current = self.config_maps[(namespace, name)]
        return str(self.put({**current, "data": data})["metadata"]["resourceVersion"])

    # -- serving ----------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                answer = fake.answer(self, raw)
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_PATCH = do_PUT = do_POST = do_DELETE = _handle

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        if self.tls is not None:
            server.socket = self.tls.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-api-server", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- routing ----------------------------------------------------------------------------------
    def answer(self, handler: BaseHTTPRequestHandler, raw: bytes) -> _Answer:
        split = urlsplit(handler.path)
        path = unquote(split.path)
        body = json.loads(raw) if raw else None
        common_name = None
        peer = handler.connection.getpeercert() if isinstance(handler.connection, ssl.SSLSocket) else None
        if peer:
            common_name = next(value for rdn in peer["subject"] for key, value in rdn if key == "commonName")
        request = RecordedRequest(
            method=handler.command,
            path=path,
            raw_path=split.path,
            query=parse_qs(split.query),
            headers={key.lower(): value for key, value in handler.headers.items()},
            body=body,
            client_certificate_cn=common_name,
        )
        with self._lock:
            self.requests.append(request)
            if self.token is not None and request.headers.get("authorization") != f"Bearer {self.token}":
                return status_answer(401, "Unauthorized", "Unauthorized")
            return self._route(request)

    def _route(self, request: RecordedRequest) -> _Answer:
        parts = request.path.strip("/").split("/")
        if parts[:3] == ["api", "v1", "namespaces"] and len(parts) >= 5:
            namespace, resource = parts[3], parts[4]
            if resource == "configmaps" and len(parts) == 6:
                verb = {"GET": "get", "PATCH": "patch"}.get(request.method, "")
                return self._guarded(verb, "configmaps", namespace, parts[5], request, self._config_map)
            if resource == "pods" and len(parts) == 5 and request.method == "GET":
                return self._guarded("list", "pods", namespace, None, request, self._pod_list)
            if resource == "pods" and len(parts) >= 7 and parts[6] == "proxy" and request.method == "GET":
                return self._guarded("get", "pods/proxy", namespace, parts[5], request, self._pod_proxy)
        if parts[:4] == ["apis", "apps", "v1", "namespaces"] and len(parts) == 7 and parts[5] == "deployments":
            if request.method == "GET":
                return self._guarded("get", "deployments", parts[4], parts[6], request, self._deployment)
        self.unexpected.append(f"{request.method} {request.path}")
        return status_answer(404, "NotFound", "the server could not find the requested resource")

    def _guarded(
        self, verb: str, resource: str, namespace: str, name: str | None, request: RecordedRequest, serve: Any
    ) -> _Answer:
        if (verb, resource, namespace) in self.forbidden:
            what = f'{resource.split("/")[0]} "{name}"' if name else resource
            group = "apps" if resource == "deployments" else ""
            return status_answer(
                403,
                "Forbidden",
                f'{what} is forbidden: User "system:serviceaccount:ci:deployer" cannot {verb} resource '
                f'"{resource}" in API group "{group}" in the namespace "{namespace}"',
                name,
                resource,
            )
        return serve(namespace, name, request)  # type: ignore[no-any-return]

    def _config_map(self, namespace: str, name: str, request: RecordedRequest) -> _Answer:
        current = self.config_maps.get((namespace, name))
        if current is None:
            return status_answer(404, "NotFound", f'configmaps "{name}" not found', name, "configmaps")
        if request.method == "GET":
            return _Answer(200, json.dumps(current).encode())
        if request.headers.get("content-type") != MERGE_PATCH:
            sent = request.headers.get("content-type")
            return status_answer(415, "UnsupportedMediaType", f"expected {MERGE_PATCH}, got {sent}")
        patch = request.body
        touched = set(patch) - {"data", "metadata"} if isinstance(patch, dict) else {"?"}
        if touched or set(patch.get("metadata", {})) - {"resourceVersion", "annotations"}:
            message = (
                "the adapter may patch only data, metadata.annotations and "
                f"metadata.resourceVersion, sent {patch!r}"
            )
            return status_answer(422, "Invalid", message)
        sent_version = patch.get("metadata", {}).get("resourceVersion")
        if sent_version is not None and sent_version != current["metadata"]["resourceVersion"]:
            return status_answer(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on configmaps "{name}": the object has been modified; '
                "please apply your changes to the latest version and try again",
                name,
                "configmaps",
            )
        patched = merge_patch(current, patch)
        try:
            stored = self._stored(patched)
        except Exception as error:  # noqa: BLE001 - the schema's verdict goes back to the client
            return status_answer(422, "Invalid", f"schema: {error}")
        self.config_maps[(namespace, name)] = stored
        return _Answer(200, json.dumps(stored).encode())

    def _pod_list(self, namespace: str, _name: None, request: RecordedRequest) -> _Answer:
        selectors = request.query.get("labelSelector", [])
        wanted = dict(term.split("=", 1) for selector in selectors for term in selector.split(","))
        items = [
            pod
            for (pod_namespace, _), pod in sorted(self.pods.items())
            if pod_namespace == namespace
            and all(pod["metadata"].get("labels", {}).get(k) == v for k, v in wanted.items())
        ]
        pod_list = {
            "kind": "PodList",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": str(self._resource_version)},
            "items": items,
        }
        return _Answer(200, json.dumps(pod_list).encode())

    def _pod_proxy(self, namespace: str, name_and_port: str, request: RecordedRequest) -> _Answer:
        name, _, port = name_and_port.partition(":")
        pod = self.pods.get((namespace, name))
        if pod is None:
            return status_answer(404, "NotFound", f'pods "{name}" not found', name, "pods")
        path = "/" + "/".join(request.path.strip("/").split("/")[7:])
        answer = self.pod_http.get((namespace, name, int(port or 80), path))
        if answer is None:
            ip = pod.get("status", {}).get("podIP", "10.0.0.1")
            message = "error trying to reach service: " + _CONNECTION_REFUSED.format(ip=ip, port=port)
            return status_answer(503, "ServiceUnavailable", message)
        status, text = answer(request) if callable(answer) else answer
        content_type = "application/json" if text.startswith("{") else "text/plain; version=0.0.4"
        return _Answer(status, text.encode(), content_type)

    def _deployment(self, namespace: str, name: str, _request: RecordedRequest) -> _Answer:
        found = self.deployments.get((namespace, name))
        if found is None:
            return status_answer(404, "NotFound", f'deployments.apps "{name}" not found', name, "deployments")
        return _Answer(200, json.dumps(found).encode())


@contextmanager
def running_api_server(server: FakeApiServer | None = None) -> Iterator[FakeApiServer]:
    server = server or FakeApiServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
