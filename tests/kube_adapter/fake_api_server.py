"""A Kubernetes API server for exactly the adapter's calls, on 127.0.0.1, from an in-memory store.

It answers as the real one does (paths, `labelSelector`, JSON merge patch with the
`resourceVersion` precondition, `Status` errors with their reasons, a pod's own HTTP answers
through the pod proxy, fixed or scripted per request) and is strict about what it is sent: every
object it stores or a patch produces is validated with kubernetes-validate (strict, the pinned
minor of `tests.kubernetes_schema`), a ConfigMap patch may touch only `data`,
`metadata.annotations` and `metadata.resourceVersion`, and every request is recorded, with the
time it arrived, for the test to inspect. A request it does not know is answered 404 and recorded
in `unexpected`.

Deployments and Services are created (POST: 409 AlreadyExists for a name taken), read, replaced
(PUT: 409 Conflict for a stale `resourceVersion`; a Service's cluster IP may not change, and as on
API servers before 1.20 an update without one is refused rather than filled in) and deleted (404
NotFound when gone). A Deployment's `spec.replicas` alone may be merge-patched. As on the real
server a create drops `status`, a replace keeps the stored one, `metadata.generation` moves on
when the spec changes and `resourceVersion` on every write, a Deployment's `spec.replicas`
defaults to 1 and a Service gets a cluster IP (`None` stays `None`). A deleted object is gone at
once: the fake has no ReplicaSets or pods for a foreground deletion to wait for.

No controller runs: a Deployment's status changes when the test says so, with `finish_rollout`
(every desired replica updated, ready and available) or `exceed_progress_deadline`, or, with
`finish_rollouts_after_reads = n`, on the (n+1)-th GET of it since it was created or its spec last
changed (0: the first GET finds the rollout done), unless its deadline was marked exceeded.
`after_answer` lets a test act between two requests, e.g. as another writer.
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
    services: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # None: a Deployment's status changes only by `finish_rollout` and `exceed_progress_deadline`;
    # n: a rollout finishes on the (n+1)-th GET of the Deployment since its create or spec change
    finish_rollouts_after_reads: int | None = None
    # runs under the lock once a request is answered, e.g. to be another writer between the
    # adapter's read and its write: it may change the store but must not call the fake's methods
    after_answer: Callable[[RecordedRequest], None] | None = None
    # (namespace, pod, port, path) -> what the pod's own HTTP server answers (the query is not part
    # of the key: a callable answer can read it from the request)
    pod_http: dict[tuple[str, str, int, str], PodAnswer] = field(default_factory=dict)
    forbidden: set[tuple[str, str, str]] = field(default_factory=set)  # (verb, resource, namespace)
    requests: list[RecordedRequest] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    _resource_version: int = 100
    _cluster_ips: int = 0
    _reads_since_spec_change: dict[tuple[str, str], int] = field(default_factory=dict)
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

    def _table(self, kind: str) -> dict[tuple[str, str], dict[str, Any]]:
        tables = {
            "ConfigMap": self.config_maps,
            "Pod": self.pods,
            "Deployment": self.deployments,
            "Service": self.services,
        }
        return tables[kind]

    def put(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Store a ConfigMap, Pod, Deployment or Service (validated) as it is, status included,
        with a new resourceVersion."""
        stored = self._stored(manifest)
        key = (stored["metadata"]["namespace"], stored["metadata"]["name"])
        with self._lock:
            self._table(stored["kind"])[key] = stored
            if stored["kind"] == "Deployment":
                self._reads_since_spec_change.pop(key, None)
        return stored

    def finish_rollout(self, namespace: str, name: str) -> dict[str, Any]:
        """The Deployment's pods all become ready: its status says the rollout of its current
        generation is complete (`spec.replicas` updated, ready and available, no old ones)."""
        with self._lock:
            return self._set_deployment_status(namespace, name, _finished_status)

    def exceed_progress_deadline(self, namespace: str, name: str, message: str | None = None) -> dict[str, Any]:
        """The Deployment's new pods never become available: its `Progressing` condition turns
        False with reason `ProgressDeadlineExceeded` (and `message`, or the controller's own)."""
        with self._lock:
            return self._set_deployment_status(namespace, name, lambda deployment: _stalled_status(deployment, message))

    def _set_deployment_status(
        self, namespace: str, name: str, status: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any]:
        """What the Deployment controller writes: a new status (and resourceVersion). Under the lock."""
        current = self.deployments[(namespace, name)]
        stored = self._stored({**current, "status": status(current)})
        self.deployments[(namespace, name)] = stored
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
            answer = self._route(request)
            if self.after_answer is not None:
                self.after_answer(request)
            return answer

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
            if resource == "services" and len(parts) in (5, 6):
                return self._object_request(_SERVICES, namespace, parts[5:], request)
        if parts[:4] == ["apis", "apps", "v1", "namespaces"] and len(parts) in (6, 7) and parts[5] == "deployments":
            return self._object_request(_DEPLOYMENTS, parts[4], parts[6:], request)
        return self._unexpected(request)

    def _unexpected(self, request: RecordedRequest) -> _Answer:
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

    # -- Deployments and Services --------------------------------------------------------------
    def _object_request(
        self, resource: _Resource, namespace: str, name_part: list[str], request: RecordedRequest
    ) -> _Answer:
        """Route a request on a collection (`name_part` empty: only POST) or on one object."""
        if not name_part:
            if request.method != "POST":
                return self._unexpected(request)
            return self._guarded(
                "create", resource.plural, namespace, None, request, lambda ns, _, r: self._create(resource, ns, r)
            )
        serve = {
            "GET": self._read,
            "PUT": self._replace,
            "PATCH": self._patch_replicas,
            "DELETE": self._delete,
        }.get(request.method)
        if serve is None or request.method not in resource.object_methods:
            return self._unexpected(request)
        verb = _VERBS[request.method]
        return self._guarded(
            verb, resource.plural, namespace, name_part[0], request, lambda ns, name, r: serve(resource, ns, name, r)
        )

    def _misaddressed(self, resource: _Resource, namespace: str, name: str | None, body: Any) -> _Answer | None:
        """The 400 for a body that is not an object of the resource's kind at this address."""
        if not isinstance(body, dict) or body.get("kind") != resource.kind:
            sent = body.get("kind") if isinstance(body, dict) else body
            return status_answer(400, "BadRequest", f"expected a {resource.kind}, got {sent!r}")
        metadata = body.get("metadata") or {}
        if metadata.get("namespace", namespace) != namespace:
            message = "the namespace of the provided object does not match the namespace sent on the request"
            return status_answer(400, "BadRequest", message)
        if name is not None and metadata.get("name") != name:
            return status_answer(
                400,
                "BadRequest",
                f"the name of the object ({metadata.get('name')}) does not match the name on the URL ({name})",
            )
        return None

    def _create(self, resource: _Resource, namespace: str, request: RecordedRequest) -> _Answer:
        refused = self._misaddressed(resource, namespace, None, request.body)
        if refused is not None:
            return refused
        created = copy.deepcopy(request.body)
        metadata = created.setdefault("metadata", {})
        name = metadata.get("name")
        if not name:
            return status_answer(422, "Invalid", f"{resource.kind} is invalid: metadata.name: Required value")
        if "resourceVersion" in metadata:
            return status_answer(400, "BadRequest", "resourceVersion should not be set on objects to be created")
        table = self._table(resource.kind)
        if (namespace, name) in table:
            return status_answer(
                409, "AlreadyExists", f'{resource.qualified} "{name}" already exists', name, resource.plural
            )
        metadata["namespace"] = namespace
        created.pop("status", None)
        if resource.kind == "Deployment":
            metadata["generation"] = 1
            created.setdefault("spec", {}).setdefault("replicas", 1)
        else:
            self._allocate_cluster_ip(created.setdefault("spec", {}))
        return self._store(resource, created, 201, spec_changed=True)

    def _read(self, resource: _Resource, namespace: str, name: str, _request: RecordedRequest) -> _Answer:
        key = (namespace, name)
        found = self._table(resource.kind).get(key)
        if found is None:
            return self._not_found(resource, name)
        if resource.kind == "Deployment" and self.finish_rollouts_after_reads is not None:
            reads = self._reads_since_spec_change.get(key, 0) + 1
            self._reads_since_spec_change[key] = reads
            if reads == self.finish_rollouts_after_reads + 1 and not _deadline_exceeded(found):
                found = self._set_deployment_status(namespace, name, _finished_status)
        return _Answer(200, json.dumps(found).encode())

    def _replace(self, resource: _Resource, namespace: str, name: str, request: RecordedRequest) -> _Answer:
        current = self._table(resource.kind).get((namespace, name))
        if current is None:
            return self._not_found(resource, name)
        refused = self._misaddressed(resource, namespace, name, request.body)
        if refused is not None:
            return refused
        sent_version = request.body["metadata"].get("resourceVersion")
        if sent_version is not None and sent_version != current["metadata"]["resourceVersion"]:
            return self._conflict(resource, name)
        replaced = copy.deepcopy(request.body)
        replaced["metadata"].update(namespace=namespace, uid=current["metadata"]["uid"])
        replaced.pop("status", None)
        if "status" in current:  # the status is the controller's, not the writer's
            replaced["status"] = current["status"]
        spec = replaced.setdefault("spec", {})
        if resource.kind == "Deployment":
            spec.setdefault("replicas", 1)
        else:
            if spec.get("clusterIP") and not spec.get("clusterIPs"):
                spec["clusterIPs"] = [spec["clusterIP"]]
            if _cluster_ips(spec) != _cluster_ips(current["spec"]):
                message = (
                    f'Service "{name}" is invalid: spec.clusterIP: Invalid value: '
                    f'"{spec.get("clusterIP", "")}": field is immutable'
                )
                return status_answer(422, "Invalid", message, name, resource.plural)
        return self._store(resource, replaced, 200, spec_changed=spec != current["spec"], current=current)

    def _patch_replicas(self, resource: _Resource, namespace: str, name: str, request: RecordedRequest) -> _Answer:
        current = self._table(resource.kind).get((namespace, name))
        if current is None:
            return self._not_found(resource, name)
        if request.headers.get("content-type") != MERGE_PATCH:
            sent = request.headers.get("content-type")
            return status_answer(415, "UnsupportedMediaType", f"expected {MERGE_PATCH}, got {sent}")
        patch = request.body
        if not (isinstance(patch, dict) and set(patch) == {"spec"} and _keys(patch["spec"]) == {"replicas"}):
            message = f"the adapter may patch only spec.replicas of a Deployment, sent {patch!r}"
            return status_answer(422, "Invalid", message, name, resource.plural)
        patched = merge_patch(current, patch)
        return self._store(resource, patched, 200, spec_changed=patched["spec"] != current["spec"], current=current)

    def _delete(self, resource: _Resource, namespace: str, name: str, request: RecordedRequest) -> _Answer:
        current = self._table(resource.kind).pop((namespace, name), None)
        if current is None:
            return self._not_found(resource, name)
        if resource.kind == "Deployment":
            self._reads_since_spec_change.pop((namespace, name), None)
        if request.query.get("propagationPolicy") == ["Foreground"]:
            # the answer is the object marked for deletion, waiting for its dependents
            deleting = copy.deepcopy(current)
            deleting["metadata"].update(deletionTimestamp="2025-01-01T00:00:00Z", finalizers=["foregroundDeletion"])
            return _Answer(200, json.dumps(deleting).encode())
        if resource.kind == "Service":  # a Service's registry answers with the deleted object
            return _Answer(200, json.dumps(current).encode())
        details = {"name": name, "group": resource.group, "kind": resource.plural, "uid": current["metadata"]["uid"]}
        gone = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}
        return _Answer(200, json.dumps(gone).encode())

    def _store(
        self,
        resource: _Resource,
        manifest: dict[str, Any],
        code: int,
        *,
        spec_changed: bool,
        current: dict[str, Any] | None = None,
    ) -> _Answer:
        """Validate and store a written object; its generation moves on with a changed spec."""
        if resource.kind == "Deployment" and current is not None:
            generation = int(current["metadata"].get("generation", 1))
            manifest["metadata"]["generation"] = generation + 1 if spec_changed else generation
        try:
            stored = self._stored(manifest)
        except Exception as error:  # noqa: BLE001 - the schema's verdict goes back to the client
            return status_answer(422, "Invalid", f"schema: {error}")
        key = (stored["metadata"]["namespace"], stored["metadata"]["name"])
        self._table(resource.kind)[key] = stored
        if spec_changed and resource.kind == "Deployment":
            self._reads_since_spec_change.pop(key, None)
        return _Answer(code, json.dumps(stored).encode())

    def _allocate_cluster_ip(self, spec: dict[str, Any]) -> None:
        """What the API server allocates: a cluster IP unless asked for none (`None`, headless)."""
        if not spec.get("clusterIP"):
            listed = spec.get("clusterIPs") or []
            if listed:
                spec["clusterIP"] = listed[0]
            else:
                self._cluster_ips += 1
                spec["clusterIP"] = f"10.96.0.{self._cluster_ips}"
        spec.setdefault("clusterIPs", [spec["clusterIP"]])

    def _not_found(self, resource: _Resource, name: str) -> _Answer:
        return status_answer(404, "NotFound", f'{resource.qualified} "{name}" not found', name, resource.plural)

    def _conflict(self, resource: _Resource, name: str) -> _Answer:
        return status_answer(
            409,
            "Conflict",
            f'Operation cannot be fulfilled on {resource.qualified} "{name}": the object has been modified; '
            "please apply your changes to the latest version and try again",
            name,
            resource.plural,
        )


@dataclass(frozen=True)
class _Resource:
    kind: str
    plural: str  # as RBAC and the path name it
    group: str
    object_methods: frozenset[str]  # what the fake answers on one object

    @property
    def qualified(self) -> str:
        """As the API server's messages name the resource: `deployments.apps`, `services`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


_DEPLOYMENTS = _Resource("Deployment", "deployments", "apps", frozenset({"GET", "PUT", "PATCH", "DELETE"}))
_SERVICES = _Resource("Service", "services", "", frozenset({"GET", "PUT", "DELETE"}))
_VERBS = {"POST": "create", "GET": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


def _keys(value: Any) -> set[str]:
    return set(value) if isinstance(value, dict) else set()


def _cluster_ips(spec: dict[str, Any]) -> tuple[str, list[str]]:
    """A Service's `clusterIP` and `clusterIPs`, the list defaulted from the one as the API server does."""
    cluster_ip = spec.get("clusterIP") or ""
    return cluster_ip, spec.get("clusterIPs") or ([cluster_ip] if cluster_ip else [])


def _rollout_status(deployment: dict[str, Any]) -> tuple[int, int, str]:
    """A Deployment's generation, desired replicas and the name of its current ReplicaSet."""
    generation = int(deployment["metadata"].get("generation", 1))
    return generation, int(deployment["spec"].get("replicas", 1)), f"{deployment['metadata']['name']}-5d8c7b9f4"


def _finished_status(deployment: dict[str, Any]) -> dict[str, Any]:
    generation, desired, replica_set = _rollout_status(deployment)
    return {
        "observedGeneration": generation,
        "replicas": desired,
        "updatedReplicas": desired,
        "readyReplicas": desired,
        "availableReplicas": desired,
        "conditions": [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
            {
                "type": "Progressing",
                "status": "True",
                "reason": "NewReplicaSetAvailable",
                "message": f'ReplicaSet "{replica_set}" has successfully progressed.',
            },
        ],
    }


def _stalled_status(deployment: dict[str, Any], message: str | None) -> dict[str, Any]:
    generation, desired, replica_set = _rollout_status(deployment)
    return {
        "observedGeneration": generation,
        "replicas": desired,
        "updatedReplicas": desired,
        "unavailableReplicas": desired,
        "conditions": [
            {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"},
            {
                "type": "Progressing",
                "status": "False",
                "reason": "ProgressDeadlineExceeded",
                "message": message or f'ReplicaSet "{replica_set}" has timed out progressing.',
            },
        ],
    }


def _deadline_exceeded(deployment: dict[str, Any]) -> bool:
    """The controller gave up on the Deployment's current generation (until its spec changes)."""
    status = deployment.get("status") or {}
    return status.get("observedGeneration") == deployment["metadata"].get("generation") and any(
        condition.get("reason") == "ProgressDeadlineExceeded" for condition in status.get("conditions") or []
    )


@contextmanager
def running_api_server(server: FakeApiServer | None = None) -> Iterator[FakeApiServer]:
    server = server or FakeApiServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
