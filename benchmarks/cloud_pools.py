"""Benchmark: what node pools created in the cloud cost a stack program.

Measures the import time of each cloud SDK (a fresh interpreter per import, after `pulumi`) and
the time to register one pool of each cloud, and runs a stack with one pool in each cloud (AKS,
EKS, GKE) and a version on each through the real stack program under Pulumi's mocks in preview
mode: a fresh process's first run (which imports the three SDKs) and the median of later runs,
against the same stack with the pools as existing nodes (`cloud: none`). Not a test: figures go
to the README.
Usage: python benchmarks/cloud_pools.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

# cloud -> (the module a pool of that cloud imports, the resource class it registers, its distribution)
SDKS = {
    "aks": ("pulumi_azure_native.containerservice", "AgentPool", "pulumi-azure-native"),
    "eks": ("pulumi_aws.eks", "NodeGroup", "pulumi-aws"),
    "gke": ("pulumi_gcp.container", "NodePool", "pulumi-gcp"),
}
_IMPORT_TIMER = (
    "import time, pulumi\n"
    "started = time.perf_counter()\n"
    "from {module} import {name}\n"
    "print(time.perf_counter() - started)\n"
)
_FIRST_RUN = (
    "import sys, time\n"
    "started = time.perf_counter()\n"
    "sys.path.insert(0, {root!r})\n"
    "from offline.program import run_stack\n"
    "from benchmarks.cloud_pools import stack_config\n"
    "run_stack(stack_config({cloud_pools}), preview=True)\n"
    "print(time.perf_counter() - started)\n"
)
_ROOT = str(Path(__file__).resolve().parent.parent)
_POOLS: list[dict[str, Any]] = [
    {
        "name": "gpu-aks",
        "sku": "Standard_NC4as_T4_v3",
        "cloud": "aks",
        "aks": {"resource_group_name": "ml-platform", "cluster_name": "inference", "pool_name": "gpuaks"},
    },
    {
        "name": "gpu-eks",
        "sku": "g5.xlarge",
        "cloud": "eks",
        "eks": {
            "cluster_name": "inference",
            "node_role_arn": "arn:aws:iam::123456789012:role/inference-nodes",
            "subnet_ids": ["subnet-0a1b2c3d4e5f60718"],
        },
    },
    {
        "name": "gpu-gke",
        "sku": "g2-standard-4",
        "cloud": "gke",
        "gke": {"project": "ml-platform-prod", "location": "us-central1-a", "cluster": "inference"},
    },
]


def stack_config(cloud_pools: bool) -> dict[str, Any]:
    """One endpoint with a version on each of three GPU pools, created in the clouds or not."""
    from specification.stack_config import ENDPOINTS_KEY, NODE_POOLS_KEY

    pools = [
        {**pool, "max_nodes": 4} if cloud_pools else {"name": pool["name"], "sku": pool["sku"], "max_nodes": 4}
        for pool in _POOLS
    ]
    versions = [
        {
            "name": f"v-{pool['cloud']}",
            "image": "registry.example.com/model:1",
            "node_pool": pool["name"],
            "gpu_cores": 1,
            "autoscale_max_replicas": 4,
            "traffic_percentile": 30,
        }
        for pool in _POOLS
    ]
    return {NODE_POOLS_KEY: pools, ENDPOINTS_KEY: [{"name": "vision", "versions": versions}]}


def _fresh_seconds(code: str, repeat: int) -> float:
    """Median of the seconds `code` prints, each run in a fresh interpreter."""
    runs = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(repeat)
    ]
    return statistics.median(runs)


def import_seconds(module: str, name: str, repeat: int) -> float:
    """Median time to import the resource class `name` of `module` after pulumi."""
    return _fresh_seconds(_IMPORT_TIMER.format(module=module, name=name), repeat)


def first_run_seconds(cloud_pools: bool, repeat: int) -> float:
    """Median time of a fresh interpreter's import of the program and first run of the stack."""
    return _fresh_seconds(_FIRST_RUN.format(root=_ROOT, cloud_pools=cloud_pools), repeat)


def seconds_per_pool(cloud: str, pools: int, repeat: int) -> float:
    """Median time to register `pools` NodePools of `cloud` (component + the cloud's resource;
    no device plugin), per pool, after a warm-up run."""
    from components import NodePool
    from offline.program import run_under_mocks
    from specification.node_pool import NodePoolSpec

    if cloud == "none":  # the same SKU as existing nodes: the component alone
        template: dict[str, Any] = {"sku": _POOLS[0]["sku"]}
    else:
        (template,) = [pool for pool in _POOLS if pool["cloud"] == cloud]
    specs = [
        NodePoolSpec.model_validate({**template, "name": f"pool{i}", "install_device_plugin": False})
        for i in range(pools)
    ]

    def program() -> None:
        for spec in specs:
            NodePool(spec.name, spec)

    run_under_mocks(program, preview=True)
    walls = []
    for _ in range(repeat):
        began = time.perf_counter()
        run_under_mocks(program, preview=True)
        walls.append(time.perf_counter() - began)
    return statistics.median(walls) / pools


def installed_mib(distribution: str) -> float:
    """The distribution's installed size on disk."""
    files = metadata.distribution(distribution).files or []
    return sum(f.size or 0 for f in files) / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from offline.program import run_stack

    sdk_table = Table(title="cloud SDKs (imported only by a stack with a pool of that cloud)")
    for column in ("cloud", "resource class", "version", "installed", "import after pulumi", "per pool"):
        sdk_table.add_column(column, justify="left" if column in ("cloud", "resource class") else "right")
    none_ms = seconds_per_pool("none", 20, args.repeat) * 1000
    for cloud, (module, name, distribution) in SDKS.items():
        sdk_table.add_row(
            cloud,
            f"{module}.{name}",
            metadata.version(distribution),
            f"{installed_mib(distribution):.0f} MiB",
            f"{import_seconds(module, name, args.repeat):.2f} s",
            f"{seconds_per_pool(cloud, 20, args.repeat) * 1000:.1f} ms",
        )
    sdk_table.add_row("none", "(no cloud resource)", "", "", "", f"{none_ms:.1f} ms")

    with_clouds, without = stack_config(True), stack_config(False)
    first = first_run_seconds(True, args.repeat)
    first_plain = first_run_seconds(False, args.repeat)
    graph = run_stack(with_clouds, preview=True)
    count = len(graph.resources)
    cloud_count = sum(1 for r in graph.resources if r.type.split(":")[0] in ("azure-native", "aws", "gcp"))
    warm, plain = [], []
    plain_count = 0
    for _ in range(args.repeat):
        began = time.perf_counter()
        run_stack(with_clouds, preview=True)
        warm.append(time.perf_counter() - began)
        began = time.perf_counter()
        plain_count = len(run_stack(without, preview=True).resources)
        plain.append(time.perf_counter() - began)
    wall, plain_wall = statistics.median(warm), statistics.median(plain)

    stack_table = Table(title="a stack with three cloud pools (a version on each) under mocks (preview)")
    stack_table.add_column("measure")
    stack_table.add_column("value", justify="right")
    stack_table.add_row("resources registered (of them cloud pools)", f"{count} ({cloud_count})")
    stack_table.add_row("fresh process: imports and first run", f"{first:.2f} s")
    stack_table.add_row(f"  the same with pools of existing nodes ({plain_count} resources)", f"{first_plain:.2f} s")
    stack_table.add_row(f"later runs (median of {args.repeat})", f"{wall:.3f} s")
    stack_table.add_row("  time per resource", f"{wall / count * 1000:.2f} ms")
    stack_table.add_row("  the same with pools of existing nodes", f"{plain_wall:.3f} s")
    console = Console(width=120)  # the module paths in full
    console.print(sdk_table)
    console.print(stack_table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
