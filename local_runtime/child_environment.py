"""The environment of every process a local run starts: an allowlist, not the caller's environment.

A developer's shell holds `PULUMI_CONFIG_PASSPHRASE`, cloud credentials and tokens, and a replica
runs whatever its scoring script and requirements do: it gets none of them. Replicas and routers
get what a program needs to run (PATH, HOME, the locale, TZ, TMPDIR) plus what the project sets
(the run's marker, the version's declared `env`, the inference server's settings); virtualenv
builds get that and what pip needs to reach an index (its `PIP_*` settings, proxies, CA bundles).
The fetch of a model with KServe's storage package gets what a build gets plus the storage
credentials that package reads (`AWS_*`, `S3_*`, `AZURE_*`, `AZ_*`, `GOOGLE_*`, ...): a developer's
own cloud login fetches the models, as a Secret does in a cluster, and reaches only that process.
Nothing else passes, in particular none of this Python's own settings (PYTHONPATH, VIRTUAL_ENV).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from local_runtime.process_control import RUN_MARKER_ENV

__all__ = [
    "BUILD_VARIABLES",
    "PROCESS_VARIABLES",
    "STORAGE_PREFIXES",
    "build_environment",
    "process_environment",
    "storage_environment",
]

# What any program needs: where to find executables, a home, the locale, the time zone, a tmp dir.
PROCESS_VARIABLES = frozenset({"PATH", "HOME", "LANG", "TZ", "TMPDIR"})
_PROCESS_PREFIXES = ("LC_",)
# What pip needs besides: proxies (in both letter cases, as each tool reads one or the other) and
# the CA bundle of a TLS-inspecting proxy or private index; its own settings are PIP_*.
BUILD_VARIABLES = PROCESS_VARIABLES | {
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
}
_BUILD_PREFIXES = (*_PROCESS_PREFIXES, "PIP_")
# What KServe's storage package reads for S3 (and S3-compatible servers), GCS and Azure.
STORAGE_PREFIXES = ("AWS_", "S3_", "AZURE_", "AZ_", "GOOGLE_", "CLOUDSDK_", "STORAGE_")
_STORAGE_VARIABLES = frozenset({"awsAnonymousCredential", "CA_BUNDLE_CONFIGMAP_NAME"})


def _allowed(
    parent: Mapping[str, str], names: frozenset[str], prefixes: tuple[str, ...]
) -> dict[str, str]:
    return {
        key: value
        for key, value in parent.items()
        if key in names or key.startswith(prefixes)
    }


def process_environment(
    additions: Mapping[str, str], marker: str, parent: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A replica's or router's environment: the allowed variables of `parent` (default: this
    process's), then `additions` (the version's `env`, the project's settings), then the marker."""
    env = _allowed(os.environ if parent is None else parent, PROCESS_VARIABLES, _PROCESS_PREFIXES)
    env.update(additions)
    env[RUN_MARKER_ENV] = marker
    return env


def build_environment(
    additions: Mapping[str, str] | None = None, parent: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of `python -m venv` and pip while a virtualenv is built."""
    env = _allowed(os.environ if parent is None else parent, BUILD_VARIABLES, _BUILD_PREFIXES)
    env.update(additions or {})
    return env


def storage_environment(
    additions: Mapping[str, str] | None = None, parent: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of a model fetch: a build's, plus the storage credentials and settings."""
    source = os.environ if parent is None else parent
    env = build_environment(parent=source)
    env.update(_allowed(source, _STORAGE_VARIABLES, STORAGE_PREFIXES))
    env.update(additions or {})
    return env
