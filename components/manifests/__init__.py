"""Pure planners from spec to Kubernetes manifests: plain dicts, no Pulumi, no I/O.

Components turn these dicts into `pulumi_kubernetes` resources; tests validate them directly
against the Kubernetes schema.
"""
