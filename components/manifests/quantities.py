"""Seed units (cores, GB) to Kubernetes quantities, exactly and readably."""

from __future__ import annotations

__all__ = ["cpu_quantity", "memory_quantity"]


def cpu_quantity(cores: float) -> str:
    """0.1 -> '100m'; 2 -> '2'. Kubernetes' resolution is one millicore."""
    millis = round(cores * 1000)
    if millis < 1:
        raise ValueError(f"{cores} cores is below Kubernetes' 1m resolution")
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"


def memory_quantity(gigabytes: float) -> str:
    """0.5 -> '512Mi'; 2 -> '2Gi'. The seed's GB are binary gigabytes, as Azure ML sizes them."""
    mebibytes = round(gigabytes * 1024)
    if mebibytes < 1:
        raise ValueError(f"{gigabytes} GB is below 1Mi")
    return f"{mebibytes // 1024}Gi" if mebibytes % 1024 == 0 else f"{mebibytes}Mi"
