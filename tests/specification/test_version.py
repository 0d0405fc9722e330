"""Tests for specification.version: the seed's create_version defaults and every per-version rule."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from router.validation import check_http_path
from specification.routing import STEPS_PER_PERCENT
from specification.version import (
    DEFAULT_SCORING_BASE_IMAGE,
    SCORING_SERVER_PORT,
    InferenceConfig,
    VersionSpec,
)

IMAGE = "registry.example/model:1"

# The seed's documented defaults (AksEndpoint.create_version / deploy_configuration).
SEED_DEFAULTS: dict[str, Any] = {
    "autoscale_min_replicas": 1,
    "autoscale_max_replicas": 10,
    "autoscale_refresh_seconds": 1,
    "autoscale_target_utilization": 70,
    "cpu_cores": 0.1,
    "memory_gb": 0.5,
    "gpu_cores": 0,
    "scoring_timeout_ms": 60000,
    "replica_max_concurrent_requests": 1,
    "max_request_wait_time": 500,
    "period_seconds": 10,
    "initial_delay_seconds": 310,
    "timeout_seconds": 2,
    "success_threshold": 1,
    "failure_threshold": 3,
    "collect_model_data": False,
    "is_default": False,
    "is_control_version_type": False,
    "num_replicas": None,
    "cpu_cores_limit": None,
    "memory_gb_limit": None,
    "tags": {},
    "properties": {},
    "description": "",
}


def _version(**fields: Any) -> VersionSpec:
    return VersionSpec.model_validate({"name": "v1", "image": IMAGE, **fields})


def _rejects(field: str, rule: str, **fields: Any) -> None:
    """Assert that `fields` fail validation on `field` with a message containing `rule`."""
    with pytest.raises(ValidationError, match=rf"\n{re.escape(field)}\n  {rule}"):
        _version(**fields)


@pytest.mark.parametrize(("field", "expected"), list(SEED_DEFAULTS.items()), ids=list(SEED_DEFAULTS))
def test_default_matches_the_seed(field: str, expected: Any) -> None:
    value = getattr(_version(), field)
    assert value == expected
    assert type(value) is type(expected)


def test_kubernetes_only_defaults() -> None:
    version = _version()
    assert version.traffic_percentile == 0.0
    assert version.port == SCORING_SERVER_PORT == 5001
    assert version.health_path == "/"
    assert version.env == {}
    assert version.node_pool is None
    assert version.inference_config is None


def test_autoscaling_is_on_unless_num_replicas_is_set() -> None:
    version = _version()
    assert version.autoscale_enabled is None
    assert version.autoscaled is True
    assert version.max_replicas == 10
    fixed = _version(num_replicas=3)
    assert fixed.autoscaled is False
    assert fixed.max_replicas == 3


def test_autoscale_enabled_true_without_num_replicas() -> None:
    version = _version(autoscale_enabled=True, autoscale_max_replicas=4)
    assert version.autoscaled is True
    assert version.max_replicas == 4


def test_autoscale_enabled_false_with_num_replicas() -> None:
    version = _version(autoscale_enabled=False, num_replicas=2)
    assert version.autoscaled is False
    assert version.max_replicas == 2


def test_autoscale_enabled_with_num_replicas_is_rejected() -> None:
    with pytest.raises(
        ValidationError,
        match=re.escape("autoscale_enabled is true but num_replicas is 2: a fixed replica count turns autoscaling off"),
    ):
        _version(autoscale_enabled=True, num_replicas=2)


def test_autoscale_disabled_without_num_replicas_is_rejected() -> None:
    with pytest.raises(ValidationError, match="autoscale_enabled is false: set num_replicas"):
        _version(autoscale_enabled=False)


def test_min_replicas_above_max_is_rejected() -> None:
    with pytest.raises(
        ValidationError, match=re.escape("autoscale_min_replicas (5) must be <= autoscale_max_replicas (3)")
    ):
        _version(autoscale_min_replicas=5, autoscale_max_replicas=3)


def test_min_replicas_equal_to_max_is_accepted() -> None:
    version = _version(autoscale_min_replicas=3, autoscale_max_replicas=3)
    assert (version.autoscale_min_replicas, version.autoscale_max_replicas) == (3, 3)


@pytest.mark.parametrize("value", [1, 50, 100])
def test_target_utilization_in_range(value: int) -> None:
    assert _version(autoscale_target_utilization=value).autoscale_target_utilization == value


def test_target_utilization_out_of_range() -> None:
    _rejects("autoscale_target_utilization", "Input should be greater than or equal to 1", autoscale_target_utilization=0)
    _rejects("autoscale_target_utilization", "Input should be less than or equal to 100", autoscale_target_utilization=101)


@pytest.mark.parametrize(
    "field",
    [
        "period_seconds",
        "timeout_seconds",
        "success_threshold",
        "failure_threshold",
        "autoscale_min_replicas",
        "autoscale_max_replicas",
        "autoscale_refresh_seconds",
        "num_replicas",
        "scoring_timeout_ms",
        "replica_max_concurrent_requests",
        "max_request_wait_time",
    ],
)
def test_minimum_is_one(field: str) -> None:
    _rejects(field, "Input should be greater than or equal to 1", **{field: 0})
    assert getattr(_version(**{field: 1}), field) == 1


def test_initial_delay_may_be_zero_but_not_negative() -> None:
    assert _version(initial_delay_seconds=0).initial_delay_seconds == 0
    _rejects("initial_delay_seconds", "Input should be greater than or equal to 0", initial_delay_seconds=-1)


def test_refresh_seconds_upper_bound() -> None:
    assert _version(autoscale_refresh_seconds=1800).autoscale_refresh_seconds == 1800
    _rejects("autoscale_refresh_seconds", "Input should be less than or equal to 1800", autoscale_refresh_seconds=1801)


def test_gpu_cores_non_negative_integer() -> None:
    assert _version(gpu_cores=2).gpu_cores == 2
    _rejects("gpu_cores", "Input should be greater than or equal to 0", gpu_cores=-1)
    _rejects("gpu_cores", "Input should be a valid integer", gpu_cores=1.5)


@pytest.mark.parametrize("field", ["cpu_cores", "memory_gb", "cpu_cores_limit", "memory_gb_limit"])
def test_resources_must_be_positive_and_finite(field: str) -> None:
    _rejects(field, "Input should be greater than 0", **{field: 0})
    _rejects(field, "Input should be greater than 0", **{field: -0.5})
    _rejects(field, "Input should be a finite number", **{field: float("inf")})
    _rejects(field, "Input should be a finite number", **{field: float("nan")})


def test_fractional_resources_are_kept() -> None:
    version = _version(cpu_cores=0.25, memory_gb=0.2, cpu_cores_limit=1.5, memory_gb_limit=2.5)
    assert (version.cpu_cores, version.memory_gb) == (0.25, 0.2)
    assert (version.cpu_cores_limit, version.memory_gb_limit) == (1.5, 2.5)


def test_cpu_limit_below_request_is_rejected() -> None:
    with pytest.raises(ValidationError, match=re.escape("cpu_cores_limit (0.5) must be >= cpu_cores (1.0)")):
        _version(cpu_cores=1.0, cpu_cores_limit=0.5)


def test_memory_limit_below_request_is_rejected() -> None:
    with pytest.raises(ValidationError, match=re.escape("memory_gb_limit (1.0) must be >= memory_gb (2.0)")):
        _version(memory_gb=2.0, memory_gb_limit=1.0)


def test_limits_equal_to_requests_are_accepted() -> None:
    version = _version(cpu_cores=1.0, cpu_cores_limit=1.0, memory_gb=2.0, memory_gb_limit=2.0)
    assert version.cpu_cores_limit == 1.0
    assert version.memory_gb_limit == 2.0


def test_limit_checked_against_default_request() -> None:
    with pytest.raises(ValidationError, match=re.escape("cpu_cores_limit (0.05) must be >= cpu_cores (0.1)")):
        _version(cpu_cores_limit=0.05)


# --- image / inference_config


def test_image_and_inference_config_together_are_rejected() -> None:
    with pytest.raises(ValidationError, match="set exactly one of image and inference_config"):
        _version(inference_config={"entry_script": "score.py"})


def test_neither_image_nor_inference_config_is_rejected() -> None:
    with pytest.raises(ValidationError, match="set exactly one of image and inference_config"):
        VersionSpec(name="v1")


def test_empty_image_is_rejected() -> None:
    _rejects("image", "String should have at least 1 character", image="")


def test_inference_config_alone() -> None:
    version = VersionSpec.model_validate(
        {
            "name": "v1",
            "inference_config": {"entry_script": "models/score.py", "requirements": ["numpy==1.26.4", "scikit-learn>=1.3"]},
        }
    )
    assert version.image is None
    assert version.inference_config == InferenceConfig(
        entry_script="models/score.py", requirements=["numpy==1.26.4", "scikit-learn>=1.3"]
    )
    assert version.inference_config.base_image == DEFAULT_SCORING_BASE_IMAGE == "python:3.11-slim"


@pytest.mark.parametrize("path", ["/..", "/a/..", "/a/../b", "/" + "a" * 255])
def test_health_path_the_router_would_refuse_is_refused(path: str) -> None:
    """The router refuses these when it renders its replica health checks, at `up`; the spec
    refuses them first, naming the field."""
    with pytest.raises(ValidationError, match=r"health_path\n"):
        VersionSpec(name="v1", image=IMAGE, health_path=path)
    with pytest.raises(ValueError, match="health_path"):
        check_http_path(path, "health_path")


@pytest.mark.parametrize("path", ["/", "/healthz", "/..a", "/a/./b", "/v1/ready.json", "/" + "a" * 254])
def test_health_path_the_router_takes_is_accepted(path: str) -> None:
    assert VersionSpec(name="v1", image=IMAGE, health_path=path).health_path == path
    assert check_http_path(path) == path


@pytest.mark.parametrize("script", ["score", "score.sh", "my score.py", "score.py;rm", "$(x).py", ""])
def test_entry_script_must_be_a_plain_python_path(script: str) -> None:
    with pytest.raises(ValidationError, match=r"entry_script\n  String should"):
        InferenceConfig(entry_script=script)


def test_a_bad_requirement_is_named_by_its_index_under_requirements() -> None:
    with pytest.raises(ValidationError) as raised:
        InferenceConfig(entry_script="score.py", requirements=["numpy", "-e ."])
    (error,) = raised.value.errors()
    assert error["loc"] == ("requirements", 1)
    assert "'-e .' contains '-e', which pip reads as an option" in error["msg"]


@pytest.mark.parametrize("script", ["/etc/x.py", "../../x.py", "models/../../x.py", "./../x.py"])
def test_entry_script_outside_the_stack_directory_is_rejected(script: str) -> None:
    with pytest.raises(ValidationError) as raised:
        InferenceConfig(entry_script=script)
    (error,) = raised.value.errors()
    assert error["loc"] == ("entry_script",)
    assert "stack's directory" in error["msg"]


def test_entry_script_named_like_the_collection_wrapper_is_rejected_when_collecting() -> None:
    script = {"name": "v1", "inference_config": {"entry_script": "models/collect.py"}}
    with pytest.raises(ValidationError, match="the file name collect.py is taken by the model data collection"):
        VersionSpec.model_validate({**script, "collect_model_data": True})
    assert VersionSpec.model_validate(script).inference_config is not None  # free when not collecting


def test_inference_config_rejects_unknown_fields() -> None:
    with pytest.raises(ValidationError, match=r"entry_scrpt\n  Extra inputs are not permitted"):
        InferenceConfig.model_validate({"entry_script": "score.py", "entry_scrpt": "x.py"})


# --- traffic_percentile


def test_traffic_percentile_with_more_than_two_decimals_is_rejected() -> None:
    with pytest.raises(
        ValidationError,
        match=r"traffic_percentile\n  Value error, 20\.005 has more precision than the router's 0\.01% step",
    ):
        _version(traffic_percentile=20.005)


@pytest.mark.parametrize("value", [0, 0.01, 20, 33.33, 99.99, 100])
def test_traffic_percentile_in_steps_is_accepted(value: float) -> None:
    assert _version(traffic_percentile=value).traffic_percentile == value


def test_traffic_percentile_bounds() -> None:
    _rejects("traffic_percentile", "Value error, -0.01 is outside 0-100", traffic_percentile=-0.01)
    _rejects("traffic_percentile", "Value error, 100.01 is outside 0-100", traffic_percentile=100.01)
    _rejects("traffic_percentile", "Input should be a finite number", traffic_percentile=float("nan"))
    _rejects("traffic_percentile", "Input should be a finite number", traffic_percentile=float("inf"))


@settings(max_examples=80, deadline=None)
@given(steps=st.integers(min_value=0, max_value=100 * STEPS_PER_PERCENT))
def test_every_hundredth_of_a_percent_is_accepted_exactly(steps: int) -> None:
    value = steps / STEPS_PER_PERCENT
    assert _version(traffic_percentile=value).traffic_percentile == value


@settings(max_examples=80, deadline=None)
@given(thousandths=st.integers(min_value=0, max_value=99_999).filter(lambda k: k % 10 != 0))
def test_thousandths_of_a_percent_are_rejected(thousandths: int) -> None:
    with pytest.raises(ValidationError, match="traffic_percentile\n  Value error, .* has more precision"):
        _version(traffic_percentile=thousandths / 1000)


# --- roles, ports, paths, typos


def test_role() -> None:
    assert _version().role == "treatment"
    assert _version(is_control_version_type=True).role == "control"


def test_port_range() -> None:
    assert _version(port=8080).port == 8080
    _rejects("port", "Input should be greater than or equal to 1", port=0)
    _rejects("port", "Input should be less than or equal to 65535", port=65536)


@pytest.mark.parametrize("path", ["healthz", "/health z", "/a?b", "/\n", "/a;b"])
def test_health_path_pattern(path: str) -> None:
    _rejects("health_path", "String should match pattern", health_path=path)


@pytest.mark.parametrize(
    "field",
    ["autoscale_max_replica", "trafic_percentile", "gpu_core", "version_name", "isDefault", "memory_gb_limits", "model"],
)
def test_unknown_fields_are_rejected(field: str) -> None:
    _rejects(field, "Extra inputs are not permitted", **{field: 1})


def test_version_is_frozen() -> None:
    version = _version()
    with pytest.raises(ValidationError, match=r"traffic_percentile\n  Instance is frozen"):
        version.traffic_percentile = 50  # type: ignore[misc]


def test_image_with_whitespace_is_rejected() -> None:
    with pytest.raises(ValidationError, match="image"):
        VersionSpec(name="v1", image="repo/model:1\n  command: evil")


def test_env_names_must_be_identifiers() -> None:
    with pytest.raises(ValidationError, match="env"):
        VersionSpec(name="v1", image="i", env={"BAD-NAME": "x"})
    assert VersionSpec(name="v1", image="i", env={"GOOD_NAME": "multi\nline"}).env == {"GOOD_NAME": "multi\nline"}


def test_node_pool_name_follows_the_name_rule() -> None:
    with pytest.raises(ValidationError, match="node_pool"):
        VersionSpec(name="v1", image="i", node_pool="GPU pool")


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"image": "i", "env": {"MODEL_ENDPOINTS_VERSION": "x"}}, "MODEL_ENDPOINTS_VERSION"),
        (
            {"inference_config": {"entry_script": "score.py"}, "env": {"PYTHONPATH": "/x"}},
            "PYTHONPATH",
        ),
    ],
)
def test_names_the_project_sets_are_reserved_in_env(fields: dict[str, Any], name: str) -> None:
    with pytest.raises(ValidationError, match=f"env '{name}': set by model-endpoints itself"):
        VersionSpec(name="v1", **fields)
    # an image's PYTHONPATH is the user's own business
    assert VersionSpec(name="v1", image="i", env={"PYTHONPATH": "/x"}).env == {"PYTHONPATH": "/x"}
