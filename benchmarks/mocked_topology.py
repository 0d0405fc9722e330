"""Benchmark: build 50 endpoints x 6 versions through the real stack program under Pulumi's mocks.

Prints wall time, peak memory and time per resource. Not a test: figures go to the README.
Usage: python benchmarks/mocked_topology.py [--endpoints 50] [--versions 6] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402


def topology(endpoints: int, versions: int) -> dict[str, Any]:
    """A stack config: `endpoints` endpoints of `versions` versions each, half of them on a GPU pool."""
    from specification.stack_config import ENDPOINTS_KEY, NODE_POOLS_KEY  # after the timed import

    share = round(100 / (versions + 1), 2)
    return {
        NODE_POOLS_KEY: [{"name": "gpu", "sku": "Standard_NC24s_v3", "max_nodes": 10_000}],
        ENDPOINTS_KEY: [
            {
                "name": f"endpoint-{e}",
                "autoscaler": "keda" if e % 2 else "hpa",
                "prometheus_url": "http://prometheus.monitoring:9090",
                "versions": [
                    {
                        "name": f"v{v}",
                        "image": f"registry.example.com/model-{e}:{v}",
                        "traffic_percentile": share,
                        **({"node_pool": "gpu", "gpu_cores": 1} if v % 2 else {}),
                        **({"num_replicas": 2} if v == versions - 1 else {}),
                    }
                    for v in range(versions)
                ],
            }
            for e in range(endpoints)
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=50)
    parser.add_argument("--versions", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    started = time.perf_counter()
    from offline.program import run_stack

    import_seconds = time.perf_counter() - started
    config = topology(args.endpoints, args.versions)
    walls: list[float] = []
    count = 0
    for _ in range(args.repeat):
        began = time.perf_counter()
        graph = run_stack(config, preview=True)
        walls.append(time.perf_counter() - began)
        count = len(graph.resources)
    tracemalloc.start()
    run_stack(config, preview=True)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    wall = statistics.median(walls)
    table = Table(title=f"{args.endpoints} endpoints x {args.versions} versions under mocks (preview)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("resources registered", str(count))
    table.add_row("import pulumi + components", f"{import_seconds:.2f} s")
    table.add_row(f"wall time (median of {args.repeat})", f"{wall:.2f} s")
    table.add_row("time per resource", f"{wall / count * 1000:.2f} ms")
    table.add_row("peak Python allocations (one run)", f"{traced_peak / 2**20:.1f} MiB")
    table.add_row("peak RSS of the process", f"{max_rss_mb:.0f} MiB")
    Console().print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
