"""Name rules shared by every spec model: what may become a Kubernetes name or reach router config.

A version or endpoint name ends up in Kubernetes object names (`<endpoint>-<version>`, a DNS-1035
label of at most 63 characters), in HAProxy backend names, map files and runtime commands. One
strict pattern keeps all of them valid and injection-free.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, Field

__all__ = [
    "RESOURCE_NAME_MAX",
    "RESOURCE_NAME_PATTERN",
    "NAMESPACE_PATTERN",
    "LABEL_KEY_PATTERN",
    "LABEL_VALUE_PATTERN",
    "LabelKey",
    "LabelValue",
    "IMAGE_PATTERN",
    "ImageReference",
    "Cidr",
    "check_cidr",
    "ResourceName",
    "Namespace",
    "check_resource_name",
    "check_namespace",
]

RESOURCE_NAME_MAX = 31
# A DNS-1035 label of at most 31 characters: starts with a letter, ends with a letter or digit.
RESOURCE_NAME_PATTERN = re.compile(r"^[a-z](?:[a-z0-9-]{0,29}[a-z0-9])?$")
# The seed's namespace rule: up to 63 lowercase alphanumerics and '-', not starting or ending with '-'.
NAMESPACE_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def check_resource_name(value: str) -> str:
    """Return `value` if it is a valid endpoint, version or node pool name, else raise ValueError."""
    if not RESOURCE_NAME_PATTERN.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid name: use 1-{RESOURCE_NAME_MAX} lowercase letters, digits "
            "and '-', starting with a letter and not ending with '-' (pattern "
            f"{RESOURCE_NAME_PATTERN.pattern})"
        )
    return value


def check_namespace(value: str) -> str:
    """Return `value` if it is a valid Kubernetes namespace name (the seed's rule), else raise."""
    if not NAMESPACE_PATTERN.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid namespace: up to 63 lowercase alphanumeric ('a'-'z', "
            "'0'-'9') and '-' characters, the first and last not '-'"
        )
    return value


ResourceName = Annotated[str, AfterValidator(check_resource_name)]
Namespace = Annotated[str, AfterValidator(check_namespace)]

# Kubernetes label keys (an optional DNS-subdomain prefix and a name) and values.
LABEL_KEY_PATTERN = (
    r"^([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$"
)
LABEL_VALUE_PATTERN = r"^(|[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)$"
LabelKey = Annotated[str, Field(pattern=LABEL_KEY_PATTERN)]
# A container image reference: printable ASCII, no space or control character (the registry and
# the container runtime parse the rest and fail at pull time, which no preview can know).
IMAGE_PATTERN = r"^[!-~]+$"
ImageReference = Annotated[str, Field(min_length=1, pattern=IMAGE_PATTERN)]


def check_cidr(value: str) -> str:
    """An IPv4 or IPv6 address range in CIDR notation (`10.0.0.0/8`), as Kubernetes accepts it."""
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(f"{value!r} is not an address range in CIDR notation, e.g. 10.0.0.0/8") from None
    if "/" not in value:
        raise ValueError(f"{value!r} has no prefix length, e.g. 10.0.0.0/8")
    return value


Cidr = Annotated[str, AfterValidator(check_cidr)]
LabelValue = Annotated[str, Field(pattern=LABEL_VALUE_PATTERN)]
