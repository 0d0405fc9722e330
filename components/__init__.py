"""model-endpoints: Azure ML-style online endpoints on any Kubernetes cluster, as Pulumi components."""
from components.spec import EndpointSpec, NodePoolSpec, VersionSpec, StackSpec
