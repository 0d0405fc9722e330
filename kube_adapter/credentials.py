"""The stack's cluster credentials, read as the Kubernetes provider reads them, into an API client.

`kubeconfig` is what Pulumi's `kubernetes:kubeconfig` (or a `kubernetes.Provider`'s `kubeconfig`)
takes: a path to an existing file, else the kubeconfig text itself; unset, `$KUBECONFIG` (one path
or several, merged) or `~/.kube/config`. `context` picks a context, else the current one. The
official `kubernetes` client parses the file and handles every kind of credential: bearer tokens,
client certificates, exec credential plugins (EKS, GKE, AKS) and their refresh on expiry.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kube_adapter.errors import KubeconfigError

__all__ = ["ClusterCredentials", "Connection", "connect", "credential_errors"]

# Connection failures are retried twice (0.2 s apart); an answer or a read timeout never is,
# so a write is sent once and a hung API server costs one timeout.
_CONNECT_RETRIES = 2


@dataclass(frozen=True)
class ClusterCredentials:
    """Which cluster and user: a kubeconfig (a path or the text) and a context, both optional."""

    kubeconfig: str | None = None
    context: str | None = None

    def __repr__(self) -> str:  # the text may hold a token: show where it comes from, not what
        return f"ClusterCredentials(kubeconfig={_describe(self.kubeconfig)!r}, context={self.context!r})"


@dataclass(frozen=True)
class Connection:
    """An API client and, for messages, where it points: server URL and context."""

    # a `kubernetes.client.ApiClient`; typed loosely because importing the client takes about 1 s
    # and is done on first use, never when a Pulumi program imports this package
    api_client: Any
    where: str


def _describe(kubeconfig: str | None) -> str:
    if not kubeconfig:
        env = os.environ.get("KUBECONFIG")
        return f"$KUBECONFIG={env}" if env else "~/.kube/config"
    if _is_path(kubeconfig):
        return kubeconfig
    return "the kubeconfig text"


def _is_path(kubeconfig: str) -> bool:
    """As the Kubernetes provider decides: a value naming an existing file is a path."""
    return "\n" not in kubeconfig and os.path.isfile(os.path.expanduser(kubeconfig))


def _parse_text(kubeconfig: str) -> dict[str, Any]:
    try:
        parsed = yaml.safe_load(kubeconfig)
    except yaml.YAMLError as error:
        parsed, problem = None, f"not valid YAML ({type(error).__name__})"
    else:
        problem = "not a kubeconfig mapping"
    if isinstance(parsed, dict):
        return parsed
    if len(kubeconfig) < 300 and not any(c.isspace() or c in "{:" for c in kubeconfig.strip("~")[2:]):
        # path-like (no spaces, braces or colons past a drive letter): a file that does not exist;
        # anything else is not echoed, as text it may hold a token
        raise KubeconfigError(f"kubeconfig '{kubeconfig}' is no existing file, and as kubeconfig text it is {problem}")
    raise KubeconfigError(f"the kubeconfig text is {problem}")


class _CredentialErrors(logging.Handler):
    """Collects what the client's kubeconfig loader logs as errors in this thread."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread and Path(record.pathname).parts[-3:-1] == ("kubernetes", "config"):
            self.messages.append(record.getMessage())


@contextmanager
def credential_errors() -> Iterator[list[str]]:
    """The errors the client only logs while loading or refreshing credentials.

    A failing exec credential plugin (an expired SSO session, a missing `aws` binary) is logged
    by the client, which then goes on without credentials: the API server's 401 would hide why.
    """
    handler = _CredentialErrors()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.messages
    finally:
        root.removeHandler(handler)


def connect(credentials: ClusterCredentials) -> Connection:
    """Load the kubeconfig (running an exec credential plugin if it names one) into a new client.

    Raises `KubeconfigError` naming the kubeconfig and context when that fails.
    """
    from kubernetes import config as kube_config
    from kubernetes.client import ApiClient, Configuration
    from kubernetes.config.config_exception import ConfigException
    from urllib3.util.retry import Retry

    configuration = Configuration()
    configuration.retries = Retry(total=_CONNECT_RETRIES, read=0, redirect=0, status=0, backoff_factor=0.1)
    source = _describe(credentials.kubeconfig)
    failure = f"cannot use kubeconfig {source} (context {credentials.context or 'current'})"
    try:
        with credential_errors() as logged:
            if credentials.kubeconfig and not _is_path(credentials.kubeconfig):
                config_dict = _parse_text(credentials.kubeconfig)
                kube_config.load_kube_config_from_dict(
                    config_dict, context=credentials.context, client_configuration=configuration, persist_config=False
                )
                context = credentials.context or str(config_dict.get("current-context") or "")
            else:
                paths = (
                    os.path.expanduser(credentials.kubeconfig)
                    if credentials.kubeconfig
                    else os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
                )
                kube_config.load_kube_config(
                    paths, context=credentials.context, client_configuration=configuration, persist_config=False
                )
                context = credentials.context or str(kube_config.list_kube_config_contexts(paths)[1]["name"])
    except ConfigException as error:
        message = str(error)
        if "No configuration found" in message:
            message = "no kubeconfig file there; set kubernetes:kubeconfig or KUBECONFIG"
        raise KubeconfigError(f"{failure}: {message}") from error
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise KubeconfigError(f"{failure}: {type(error).__name__}: {error}") from error
    if logged:
        raise KubeconfigError(f"{failure}: {'; '.join(logged)}")
    where = f"API server {configuration.host}, context '{context}' of {source}"
    return Connection(api_client=ApiClient(configuration), where=where)
