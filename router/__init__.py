"""The router's data plane: HAProxy configuration rendered from the spec (pure functions)."""
