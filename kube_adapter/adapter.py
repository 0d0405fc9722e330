"""The few Kubernetes API calls the project makes: one ConfigMap read and written with optimistic
concurrency, an endpoint's router pods, a pod's HTTP port through the API server, a Deployment's
replica counts and rollout state, and for a blue/green replacement a temporary Deployment and
Service created (or replaced), scaled and deleted.

The client is created on first use and never pickled, so a dynamic provider can hold an adapter.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from kube_adapter.credentials import ClusterCredentials, Connection, connect, credential_errors
from kube_adapter.errors import (
    Call,
    ClusterError,
    ConflictError,
    KubeconfigError,
    NotFoundError,
    error_for_network,
    error_for_status,
    status_reason,
)
from kube_adapter.names import ROUTER_METRICS_PORT, router_label_selector
from kube_adapter.objects import (
    AppliedObject,
    ConfigMapData,
    DeploymentReplicas,
    DeploymentRollout,
    RouterPod,
)
from kube_adapter.workloads import (
    applied_object,
    checked_replicas,
    deployment_rollout,
    manifest_target,
    replacement,
)

__all__ = ["ClusterAdapter", "FIELD_MANAGER"]

FIELD_MANAGER = "model-endpoints"  # who wrote what the adapter writes, in the objects' managedFields
_MERGE_PATCH = "application/merge-patch+json"
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
T = TypeVar("T")


class ClusterAdapter:
    """The project's only caller of the Kubernetes API, with the stack's cluster credentials."""

    def __init__(
        self, credentials: ClusterCredentials | None = None, *, timeout_seconds: float = 10.0
    ) -> None:
        self.credentials = credentials or ClusterCredentials()
        self.timeout_seconds = timeout_seconds
        self._connection: Connection | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_connection": None}  # a client holds sockets: made again on use

    def _call(self, call: Call, request: Callable[[Any], T]) -> T:
        """Run `request(api_client)`, turning what the client raises into a `ClusterError`."""
        from kubernetes.client.exceptions import ApiException
        from kubernetes.config.config_exception import ConfigException
        from urllib3.exceptions import HTTPError

        if self._connection is None:
            self._connection = connect(self.credentials)
        where = self._connection.where
        failure: ClusterError
        with credential_errors() as logged:  # an expired exec credential is fetched again here
            try:
                return request(self._connection.api_client)
            except ApiException as error:
                failure = error_for_status(int(error.status or 0), error.body, call, where)
                cause: Exception = error
            except HTTPError as error:
                failure = error_for_network(error, call, where)
                cause = error
            except ConfigException as error:
                failure, cause = KubeconfigError(f"cannot refresh the credentials of {where}: {error}"), error
        if logged:  # the refresh failed and the call went out with stale or no credentials
            failure = KubeconfigError(f"cannot refresh the credentials of {where}: {'; '.join(logged)} ({failure})")
        raise failure from cause

    def read_config_map(self, namespace: str, name: str) -> ConfigMapData:
        """A ConfigMap's data (empty when it has none) and resourceVersion."""
        from kubernetes.client import CoreV1Api

        found = self._call(
            Call("get", "configmaps", namespace, "ConfigMap", name),
            lambda api: CoreV1Api(api).read_namespaced_config_map(
                name, namespace, _request_timeout=self.timeout_seconds
            ),
        )
        return _config_map_data(found, namespace, name)

    def write_config_map(self, current: ConfigMapData, data: Mapping[str, str]) -> ConfigMapData:
        """Replace the data of the ConfigMap `current` was read from with `data`, only if nobody
        changed it since (its resourceVersion); else `ConflictError` and nothing is written.

        A JSON merge patch of `data` (keys not in `data` set to null, so removed) carrying the
        resourceVersion read: the API server refuses it with 409 if the object moved on.
        Labels, annotations and owners are left alone. Returns the data and new resourceVersion.
        """
        from kubernetes.client import CoreV1Api

        for key, value in data.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(f"ConfigMap data must map str to str, got {key!r}: {type(value).__name__}")
        patch = {
            "metadata": {"resourceVersion": current.resource_version},
            "data": {**{key: None for key in current.data if key not in data}, **data},
        }
        written = self._call(
            Call("patch", "configmaps", current.namespace, "ConfigMap", current.name),
            lambda api: CoreV1Api(api).patch_namespaced_config_map(
                current.name,
                current.namespace,
                patch,
                field_manager=FIELD_MANAGER,
                _content_type=_MERGE_PATCH,
                _request_timeout=self.timeout_seconds,
            ),
        )
        return _config_map_data(written, current.namespace, current.name)

    def annotate_config_map(
        self, namespace: str, name: str, annotations: Mapping[str, str | None]
    ) -> None:
        """Set (or, for None, remove) annotations of a ConfigMap, leaving its data and every
        other annotation alone: a JSON merge patch of `metadata.annotations` only, without a
        resourceVersion precondition (only these keys change, and their one writer sets them)."""
        from kubernetes.client import CoreV1Api

        for key, value in annotations.items():
            if not isinstance(key, str) or not (value is None or isinstance(value, str)):
                raise TypeError(f"annotations must map str to str or None, got {key!r}: {value!r}")
        patch = {"metadata": {"annotations": dict(annotations)}}
        self._call(
            Call("patch", "configmaps", namespace, "ConfigMap", name),
            lambda api: CoreV1Api(api).patch_namespaced_config_map(
                name,
                namespace,
                patch,
                field_manager=FIELD_MANAGER,
                _content_type=_MERGE_PATCH,
                _request_timeout=self.timeout_seconds,
            ),
        )

    def list_router_pods(self, namespace: str, endpoint: str) -> list[RouterPod]:
        """The endpoint's router pods (by their labels), sorted by name."""
        from kubernetes.client import CoreV1Api

        listed = self._call(
            Call("list", "pods", namespace, "Pod"),
            lambda api: CoreV1Api(api).list_namespaced_pod(
                namespace, label_selector=router_label_selector(endpoint), _request_timeout=self.timeout_seconds
            ),
        )
        pods = []
        for item in listed.items or []:
            metadata, status = item.metadata, item.status
            conditions = (status.conditions if status else None) or []
            pods.append(
                RouterPod(
                    name=str(metadata.name if metadata else ""),
                    phase=str(status.phase or "Unknown") if status else "Unknown",
                    ready=any(c.type == "Ready" and c.status == "True" for c in conditions),
                    terminating=metadata is not None and metadata.deletion_timestamp is not None,
                    pod_ip=status.pod_ip if status else None,
                )
            )
        return sorted(pods, key=lambda pod: pod.name)

    def read_pod_http(
        self,
        namespace: str,
        pod: str,
        path: str,
        port: int = ROUTER_METRICS_PORT,
        query: Mapping[str, str] | None = None,
    ) -> str:
        """GET `http://<pod>:<port>/<path>?<query>` through the API server's pod proxy (no route to
        the pod network needed); the answer's body as text. `path` is one segment, e.g. `metrics`;
        `query` is passed on to the pod (`{"scope": "backend"}`)."""
        from kubernetes.client.exceptions import ApiException

        segment = path.lstrip("/")
        if not _PATH_SEGMENT.fullmatch(segment):
            raise ValueError(f"pod proxy path must be one URL segment (letters, digits, . _ ~ -), got {path!r}")

        def get(api: Any) -> bytes:
            # The generated `connect_get_namespaced_pod_proxy_with_path` takes no query of the
            # pod's own, so the request is made as it makes it, plus the query. The body is the
            # pod's own bytes, returned raw (the client would try to parse it as JSON).
            resource_path = "/api/v1/namespaces/{namespace}/pods/{name}/proxy/{path}"
            path_params = {"namespace": namespace, "name": f"{pod}:{port}", "path": segment}
            query_params = list((query or {}).items())
            headers = {"Accept": "*/*"}
            if not hasattr(api, "param_serialize"):  # kubernetes 36: swagger-codegen's client
                raw = api.call_api(
                    resource_path,
                    "GET",
                    path_params,
                    query_params,
                    headers,
                    auth_settings=["BearerToken"],
                    _preload_content=False,  # the raw answer; an error status raises ApiException
                    _request_timeout=self.timeout_seconds,
                )
                return bytes(raw.data)
            request = api.param_serialize(  # kubernetes 37: openapi-generator 7's client
                method="GET",
                resource_path=resource_path,
                path_params=path_params,
                query_params=query_params,
                header_params=headers,
                auth_settings=["BearerToken"],
            )
            response = api.call_api(*request, _request_timeout=self.timeout_seconds)
            response.read()
            if not 200 <= response.status <= 299:
                raise ApiException.from_response(http_resp=response, body=None, data=None)
            return bytes(response.data)

        body = self._call(Call("get", "pods/proxy", namespace, "Pod", pod), get)
        return body.decode("utf-8", "replace")

    def read_router_routing(self, namespace: str, pod: str) -> dict[str, Any]:
        """The router pod's `/routing` answer (JSON with the applied `revision`)."""
        text = self.read_pod_http(namespace, pod, "routing")
        try:
            answer = json.loads(text)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise ClusterError(
                f"router pod '{pod}' in namespace '{namespace}' answered /routing with no JSON object: {text[:200]!r}"
            )
        return answer

    def read_deployment_replicas(self, namespace: str, name: str) -> DeploymentReplicas:
        """A Deployment's desired replica count and how many are created, ready, updated, available."""
        return self.read_deployment_rollout(namespace, name).replicas

    def read_deployment_rollout(self, namespace: str, name: str) -> DeploymentRollout:
        """A Deployment's replica counts, its generation and the one the controller observed, and
        whether its rollout exceeded its progress deadline; `.complete` says it is done."""
        from kubernetes.client import AppsV1Api

        found = self._call(
            Call("get", "deployments", namespace, "Deployment", name),
            lambda api: api.sanitize_for_serialization(
                AppsV1Api(api).read_namespaced_deployment(name, namespace, _request_timeout=self.timeout_seconds)
            ),
        )
        return deployment_rollout(found, name)

    def apply_deployment(self, manifest: Mapping[str, Any]) -> AppliedObject:
        """Create the apps/v1 Deployment `manifest` describes in its `metadata.namespace`, or, if
        one of that name exists, replace it with the manifest, provided it does not change between
        the read and the write and is not being deleted (else `ConflictError`, nothing written). As
        with `kubectl replace`, a manifest without `spec.replicas` gets the API server's default, 1.
        A manifest that is not a Deployment's is a `ValueError` naming the field."""
        from kubernetes.client import AppsV1Api

        namespace, name = manifest_target(manifest, "Deployment")
        return self._create_or_replace(
            manifest,
            Call("create", "deployments", namespace, "Deployment", name),
            create=lambda api, body: AppsV1Api(api).create_namespaced_deployment(
                namespace, body, field_manager=FIELD_MANAGER, _request_timeout=self.timeout_seconds
            ),
            read=lambda api: AppsV1Api(api).read_namespaced_deployment(
                name, namespace, _request_timeout=self.timeout_seconds
            ),
            replace=lambda api, body: AppsV1Api(api).replace_namespaced_deployment(
                name, namespace, body, field_manager=FIELD_MANAGER, _request_timeout=self.timeout_seconds
            ),
        )

    def apply_service(self, manifest: Mapping[str, Any]) -> AppliedObject:
        """Create the v1 Service `manifest` describes in its `metadata.namespace`, or, if one of
        that name exists, replace it with the manifest as `apply_deployment` does, keeping the
        Service's cluster IP when the manifest names none."""
        from kubernetes.client import CoreV1Api

        namespace, name = manifest_target(manifest, "Service")
        return self._create_or_replace(
            manifest,
            Call("create", "services", namespace, "Service", name),
            create=lambda api, body: CoreV1Api(api).create_namespaced_service(
                namespace, body, field_manager=FIELD_MANAGER, _request_timeout=self.timeout_seconds
            ),
            read=lambda api: CoreV1Api(api).read_namespaced_service(
                name, namespace, _request_timeout=self.timeout_seconds
            ),
            replace=lambda api, body: CoreV1Api(api).replace_namespaced_service(
                name, namespace, body, field_manager=FIELD_MANAGER, _request_timeout=self.timeout_seconds
            ),
        )

    def _create_or_replace(
        self,
        manifest: Mapping[str, Any],
        creation: Call,
        *,
        create: Callable[[Any, Any], Any],
        read: Callable[[Any], Any],
        replace: Callable[[Any, Any], Any],
    ) -> AppliedObject:
        """POST the manifest; on 409 AlreadyExists read the object and PUT the manifest with the
        resourceVersion read (`replacement`). Someone changing the object between the read and the
        PUT, or the object being deleted, is a `ConflictError` and nothing is written."""
        from kubernetes.client.exceptions import ApiException

        # the client takes the manifest as JSON in place of its model (kubernetes 37 validates it
        # into one: a field the schema does not know is a ValueError before anything is sent)
        body: Any = dict(manifest)

        def create_unless_exists(api: Any) -> dict[str, Any] | None:
            try:
                return api.sanitize_for_serialization(create(api, body))
            except ApiException as error:
                if error.status == 409 and status_reason(error.body) == "AlreadyExists":
                    return None
                raise

        created = self._call(creation, create_unless_exists)
        if created is not None:
            return applied_object(creation.kind, created, created=True)
        existing = self._call(
            dataclasses.replace(creation, verb="get"), lambda api: api.sanitize_for_serialization(read(api))
        )
        if existing["metadata"].get("deletionTimestamp"):
            # replacing it would write an object about to vanish
            raise ConflictError(
                f"{creation.target()} is being deleted, so it was not replaced; apply it again once it is gone"
            )
        replaced: Any = replacement(manifest, existing)
        stored = self._call(
            dataclasses.replace(creation, verb="update"),
            lambda api: api.sanitize_for_serialization(replace(api, replaced)),
        )
        return applied_object(creation.kind, stored, created=False)

    def scale_deployment(self, namespace: str, name: str, replicas: int) -> None:
        """Set a Deployment's `spec.replicas` to a positive count: a JSON merge patch of that field
        alone, without a resourceVersion precondition (the count is all it changes)."""
        from kubernetes.client import AppsV1Api

        patch = {"spec": {"replicas": checked_replicas(replicas)}}
        self._call(
            Call("patch", "deployments", namespace, "Deployment", name),
            lambda api: AppsV1Api(api).patch_namespaced_deployment(
                name,
                namespace,
                patch,
                field_manager=FIELD_MANAGER,
                _content_type=_MERGE_PATCH,
                _request_timeout=self.timeout_seconds,
            ),
        )

    def delete_deployment(self, namespace: str, name: str) -> bool:
        """Delete a Deployment with its ReplicaSets and pods, in the foreground (the Deployment
        stays, marked as being deleted, until they are gone). False if there was none."""
        from kubernetes.client import AppsV1Api

        return self._deleted(
            Call("delete", "deployments", namespace, "Deployment", name),
            lambda api: AppsV1Api(api).delete_namespaced_deployment(
                name, namespace, propagation_policy="Foreground", _request_timeout=self.timeout_seconds
            ),
        )

    def delete_service(self, namespace: str, name: str) -> bool:
        """Delete a Service (its EndpointSlices go in the background). False if there was none."""
        from kubernetes.client import CoreV1Api

        return self._deleted(
            Call("delete", "services", namespace, "Service", name),
            lambda api: CoreV1Api(api).delete_namespaced_service(
                name, namespace, propagation_policy="Background", _request_timeout=self.timeout_seconds
            ),
        )

    def _deleted(self, call: Call, request: Callable[[Any], object]) -> bool:
        """Run a delete: True when the API server took it, False when the object was already gone."""
        try:
            self._call(call, request)
        except NotFoundError:
            return False
        return True


def _config_map_data(found: Any, namespace: str, name: str) -> ConfigMapData:
    return ConfigMapData(
        namespace=namespace,
        name=name,
        data=dict(found.data or {}),
        resource_version=str(found.metadata.resource_version),
        annotations=dict(found.metadata.annotations or {}),
    )
