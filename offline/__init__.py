"""Run Pulumi programs with no engine and no cluster: Pulumi's own mocks, recording the resource graph.

Used by the tests, the benchmark and the mocked preview (`make preview`); it never talks to a cluster or a Pulumi service.
"""
