"""Imports a cloud's Pulumi SDK only when a pool uses that cloud, or says which extra to install.

The three SDKs are optional extras (`model-endpoints[aks]`, `[eks]`, `[gke]`) of 13-22 MB each
that take a noticeable time to import, so a stack without cloud pools never loads them, and a
stack that needs a missing one fails at preview with the command that installs it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import pulumi

from specification.clouds import PoolCloud

__all__ = ["CLOUD_SDKS", "CloudSdkMissingError", "load_cloud_sdk"]

# cloud -> (the SDK's module that holds the pool resource, its distribution, the extra)
CLOUD_SDKS: dict[str, tuple[str, str]] = {
    "aks": ("pulumi_azure_native.containerservice", "pulumi-azure-native"),
    "eks": ("pulumi_aws.eks", "pulumi-aws"),
    "gke": ("pulumi_gcp.container", "pulumi-gcp"),
}


class CloudSdkMissingError(pulumi.RunError):
    """A pool's cloud needs an SDK this environment lacks; Pulumi prints it without a traceback."""


def load_cloud_sdk(cloud: PoolCloud, pool: str) -> ModuleType:
    """The SDK module that creates `cloud`'s node pools, imported now.

    Raises CloudSdkMissingError naming the pool, the distribution and the install command when
    the SDK is not installed (any other import failure propagates as it is)."""
    module, distribution = CLOUD_SDKS[cloud]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name is None or module.split(".")[0] != error.name.split(".")[0]:
            raise
        raise CloudSdkMissingError(
            f"node pool {pool!r}: cloud {cloud!r} needs {distribution}, the optional extra "
            f"model-endpoints[{cloud}]; install it with: pip install 'model-endpoints[{cloud}]' "
            f"(in this project: pip install -e '.[{cloud}]', or `-e .[{cloud}]` in "
            "requirements.txt for `pulumi install`)"
        ) from None
