"""What a component passes on to its children from its own `ResourceOptions`.

A component's `depends_on` makes the component wait, but Pulumi does not make its children wait:
a Deployment inside a Version would start before the namespace the Version was told to depend on
exists. Components here take every ordering through `opts`, as Pulumi's convention is, and hand
those dependencies to each child themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

__all__ = ["child_options", "inherited_dependencies"]


def inherited_dependencies(opts: pulumi.ResourceOptions | None) -> list[Any]:
    """The component's `depends_on` as a list (resources, or inputs of resources)."""
    depends_on = opts.depends_on if opts is not None else None
    if depends_on is None:
        return []
    if isinstance(depends_on, Sequence):
        return list(depends_on)
    return [depends_on]


def child_options(
    parent: pulumi.Resource, opts: pulumi.ResourceOptions | None, *extra: Any
) -> pulumi.ResourceOptions:
    """Options of a child of `parent`: parented to it, waiting for what the component was told
    to wait for (from `opts`) and for `extra`."""
    return pulumi.ResourceOptions(parent=parent, depends_on=[*inherited_dependencies(opts), *extra])
