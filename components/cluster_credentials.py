"""The cluster credentials a TrafficSplit writes live routing with: the stack's own.

The TrafficSplit moves the endpoint's live routers through the Kubernetes API from the dynamic
provider's process, so it needs the cluster the stack's Kubernetes objects go to: the kubeconfig
and context the default Kubernetes provider reads from the stack's `kubernetes:kubeconfig` and
`kubernetes:context` config, or those a program gives an explicit provider. Both are secret
wherever they appear; unset, the provider process uses `$KUBECONFIG` or `~/.kube/config`, as the
Kubernetes provider itself does.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

__all__ = ["ClusterCredentialInputs", "stack_cluster_credentials"]


@dataclass(frozen=True)
class ClusterCredentialInputs:
    """A kubeconfig (a path or the text) and a context; None: the provider process's default."""

    kubeconfig: pulumi.Input[str] | None = None
    kube_context: pulumi.Input[str] | None = None


def stack_cluster_credentials() -> ClusterCredentialInputs:
    """The stack's `kubernetes:kubeconfig` and `kubernetes:context` config, as secrets (None for
    what is unset)."""
    config = pulumi.Config("kubernetes")
    return ClusterCredentialInputs(config.get_secret("kubeconfig"), config.get_secret("context"))
