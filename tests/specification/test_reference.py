"""The README's configuration reference is generated from the spec models and kept in step."""

from __future__ import annotations

from pathlib import Path

import pytest

from specification.endpoint import EndpointSpec
from specification.reference import END, START, render_reference, replace_reference
from specification.version import VersionSpec

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_reference_is_current() -> None:
    text = README.read_text(encoding="utf-8")
    assert replace_reference(text) == text, "run: python -m specification.reference README.md"


def test_every_field_and_its_default_is_documented() -> None:
    reference = render_reference()
    for model in (EndpointSpec, VersionSpec):
        for name, field in model.model_fields.items():
            assert f"| `{name}` |" in reference
            assert field.description and field.description.split(".")[0][:30] in reference
    assert "| `autoscale_target_utilization` | int | `70` |" in reference
    assert "| `versions` | list[VersionSpec] | required |" in reference
    assert "| `Standard_NP10s` | aks | fpga | 1 |" in reference
    assert "| `g2-standard-4` | gke | gpu | 1 | NVIDIA L4 (`nvidia-l4`) |" in reference
    assert "### GKE node pool (`nodePools[].gke`, with `cloud: gke`)" in reference


def test_replace_needs_the_markers() -> None:
    with pytest.raises(ValueError, match="markers"):
        replace_reference("no markers here")
    assert replace_reference(f"a\n{START}\nold\n{END}\nb").startswith(f"a\n{START}\n### Endpoint")
