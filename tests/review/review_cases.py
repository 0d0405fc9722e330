"""The changes the golden review reports are made of: each an example stack's config, edited.

Each case is a base config and the config a pull request makes of it; `regenerate_goldens`
writes their reports to `tests/fixtures/review/`, and `test_golden_reports` checks them byte for
byte. Regenerate after an intended change of the report's wording or layout with
`.venv/bin/python -m tests.review.regenerate_goldens` and read the diff before committing it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from review.report import ReviewReport
from review.stack_review import review_stack
from specification.stack_config import ENDPOINTS_KEY, NODE_POOLS_KEY, read_stack_config

__all__ = ["CASES", "GOLDEN_DIR", "ReviewCase", "case_report"]

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "review"
# Copies of the example stacks as they were when the goldens were made: the goldens change when
# the report does, not when someone edits an example stack.
BASES_DIR = GOLDEN_DIR / "bases"
Config = dict[str, Any]


def _example(stack: str) -> Config:
    return read_stack_config(BASES_DIR / f"Pulumi.{stack}.yaml")


def _endpoint(config: Config, index: int = 0) -> dict[str, Any]:
    endpoint: dict[str, Any] = config[ENDPOINTS_KEY][index]
    return endpoint


def _version(config: Config, name: str) -> dict[str, Any]:
    return next(v for v in _endpoint(config)["versions"] if v["name"] == name)


def _traffic_shift(config: Config) -> None:
    """The gpu stack's canary policy walks resnet-fpga from 30% to 60%."""
    _version(config, "resnet-gpu")["traffic_percentile"] = 40
    _version(config, "resnet-fpga")["traffic_percentile"] = 60


def _new_image(config: Config) -> None:
    """resnet-gpu gets a new image under the gpu stack's canary policy: a blue/green replacement."""
    _version(config, "resnet-gpu")["image"] = "registry.example.com/vision/resnet50-gpu:1.5.0"


def _new_version(config: Config) -> None:
    """A third version joins the dev endpoint at 0%, on an image."""
    _endpoint(config)["versions"].append(
        {"name": "versionc", "image": "registry.example.com/models/c:1.0", "num_replicas": 2}
    )


def _drained(config: Config) -> None:
    _version(config, "versionb")["traffic_percentile"] = 0


def _removed_version(config: Config) -> None:
    """versionb, drained to 0% by the base, leaves; versiona gets a new entry script."""
    _endpoint(config)["versions"] = [_version(config, "versiona")]
    _version(config, "versiona")["inference_config"]["entry_script"] = "models/versionb/score.py"


def _key_rotation(config: Config) -> None:
    """The primary key and the token-signing key are rotated."""
    _endpoint(config)["primary_key_rotation"] = 1
    _endpoint(config)["token_signing_key_rotation"] = 1


def _gpu_pool_over_capacity(config: Config) -> None:
    """A new A100 pool of one 8-GPU node, and two versions at 0% that may grow to 8 replicas each."""
    config[NODE_POOLS_KEY].append({"name": "gpu-a100", "sku": "Standard_ND96asr_v4", "max_nodes": 1})
    for name in ("llm-a", "llm-b"):
        _endpoint(config)["versions"].append(
            {
                "name": name,
                "image": f"registry.example.com/llm/{name}:1.0",
                "node_pool": "gpu-a100",
                "gpu_cores": 1,
                "autoscale_max_replicas": 8,
                "cpu_cores_limit": 8,
                "memory_gb_limit": 64,
            }
        )


def _tls_removed(config: Config) -> None:
    """The public gpu endpoint drops its TLS Secret, saying TLS ends in front of the router."""
    router = _endpoint(config)["router"]
    del router["tls_secret_name"]
    router["allow_plaintext_credentials"] = True


def _invalid(config: Config) -> None:
    """Three problems in three places: a utilization over 100%, no CPU, an unknown SKU."""
    _version(config, "versiona")["autoscale_target_utilization"] = 150
    _version(config, "versionb")["cpu_cores"] = 0
    config[NODE_POOLS_KEY] = [{"name": "gpu", "sku": "Standard_NC999"}]


@dataclass(frozen=True)
class ReviewCase:
    """A golden case: the stack, how the base differs from the example, how the change edits it."""

    name: str
    stack: str
    change: Callable[[Config], None]
    base: Callable[[Config], None] | None = None

    def configs(self) -> tuple[Config, Config]:
        base = _example(self.stack)
        if self.base is not None:
            self.base(base)
        head = copy.deepcopy(base)
        self.change(head)
        return base, head


CASES = (
    ReviewCase("traffic-shift", "gpu", _traffic_shift),
    ReviewCase("new-image-blue-green", "gpu", _new_image),
    ReviewCase("new-version", "dev", _new_version),
    ReviewCase("removed-version", "dev", _removed_version, base=_drained),
    ReviewCase("key-rotation", "dev", _key_rotation),
    ReviewCase("gpu-pool-over-capacity", "gpu", _gpu_pool_over_capacity),
    ReviewCase("tls-removed", "gpu", _tls_removed),
    ReviewCase("invalid-config", "dev", _invalid),
)


def case_report(case: ReviewCase) -> ReviewReport:
    """The review of one case, against a base named `main`."""
    base, head = case.configs()
    stack = review_stack(case.stack, f"stacks/Pulumi.{case.stack}.yaml", base, head)
    return ReviewReport("main", (stack,))
