"""Cloud SDKs are imported only for a pool of that cloud; a missing one names its install command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pulumi
import pytest

from components.cloud_pools.sdk import CLOUD_SDKS, CloudSdkMissingError, load_cloud_sdk
from offline.program import run_stack
from tests.components.cloud_pools.registered import register
from tests.specs import cloud_pool

_DISTRIBUTIONS = {"aks": "pulumi-azure-native", "eks": "pulumi-aws", "gke": "pulumi-gcp"}
_SKUS = {"aks": "Standard_NC6s_v3", "eks": "g5.xlarge", "gke": "a2-highgpu-1g"}


def _hide(monkeypatch: pytest.MonkeyPatch, cloud: str) -> None:
    """Make `cloud`'s SDK unimportable, as in an environment without its extra."""
    module = CLOUD_SDKS[cloud][0]
    for name in (module.split(".")[0], module):
        monkeypatch.setitem(sys.modules, name, None)


@pytest.mark.parametrize("cloud", ["aks", "eks", "gke"])
def test_a_missing_sdk_names_the_pool_the_extra_and_the_command(monkeypatch: pytest.MonkeyPatch, cloud: str) -> None:
    _hide(monkeypatch, cloud)
    with pytest.raises(CloudSdkMissingError) as caught:
        load_cloud_sdk(cloud, "gpu")  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith(f"node pool 'gpu': cloud '{cloud}' needs {_DISTRIBUTIONS[cloud]}, the optional extra")
    assert f"pip install 'model-endpoints[{cloud}]'" in message
    assert f"pip install -e '.[{cloud}]'" in message
    assert isinstance(caught.value, pulumi.RunError)  # printed by Pulumi without a traceback


def test_a_stack_whose_cloud_sdk_is_missing_fails_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch, gpu_config: dict
) -> None:
    from specification.stack_config import NODE_POOLS_KEY

    _hide(monkeypatch, "gke")
    config = dict(gpu_config)
    pool = cloud_pool("gke", "gpu-t4", "g2-standard-4", max_nodes=4)
    config[NODE_POOLS_KEY] = [pool.model_dump(mode="json", exclude_none=True), *gpu_config[NODE_POOLS_KEY][1:]]
    with pytest.raises(pulumi.RunError, match=r"node pool 'gpu-t4': cloud 'gke' needs pulumi-gcp.*pip install -e '\.\[gke\]'"):
        run_stack(config)


def test_other_clouds_do_not_need_the_missing_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    for hidden in ("eks", "gke"):
        _hide(monkeypatch, hidden)
    graph = register(cloud_pool("aks", "gpu", _SKUS["aks"]))
    assert [r.type for r in graph.resources if r.type.startswith("azure-native:")]


def test_an_sdk_that_fails_to_import_for_another_reason_is_not_called_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str) -> None:
        raise ModuleNotFoundError("No module named 'grpc_missing'", name="grpc_missing")

    monkeypatch.setattr("importlib.import_module", broken)
    with pytest.raises(ModuleNotFoundError, match="grpc_missing"):
        load_cloud_sdk("eks", "gpu")


def test_importing_the_components_and_running_a_stack_without_cloud_pools_loads_no_cloud_sdk() -> None:
    code = (
        "import sys\n"
        "import components, components.stack_program\n"
        "from offline.program import run_stack\n"
        "from tests.example_stacks import example_config\n"
        "run_stack(example_config('gpu'), preview=True)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pulumi_azure_native', 'pulumi_aws', 'pulumi_gcp')))\n"
    )
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True, cwd=root
    )
    assert done.stdout.strip() == "[]", done.stdout
