"""Only the fields that changed, read from the models; a credential-bearing value is never shown."""

from __future__ import annotations

from review.field_changes import HIDDEN, FieldChange, field_changes, model_changes
from specification.version import VersionSpec


def _version(**fields: object) -> VersionSpec:
    return VersionSpec.model_validate({"name": "v1", "image": "registry.example.com/m:1", **fields})


def test_only_changed_leaves_are_listed_with_their_paths() -> None:
    before = _version(num_replicas=2, tags={"a": "1"})
    after = _version(num_replicas=3, tags={"a": "1", "b": "2"})
    assert model_changes(before, after) == [
        FieldChange("num_replicas", 2, 3),
        FieldChange("tags.b", None, "2"),
    ]


def test_a_field_written_at_its_default_is_no_change() -> None:
    assert model_changes(_version(), _version(port=5001, cpu_cores=0.1)) == []


def test_environment_values_are_hidden() -> None:
    changes = model_changes(_version(env={"TOKEN": "s3cr3t"}), _version(env={"TOKEN": "n3w"}))
    assert changes == [FieldChange("env.TOKEN", HIDDEN, HIDDEN)]
    assert "s3cr3t" not in repr(changes) and "n3w" not in repr(changes)


def test_nested_and_removed_keys_and_lists() -> None:
    assert field_changes({"a": {"b": 1, "c": [1]}}, {"a": {"b": 1, "c": [2]}}) == [
        FieldChange("a.c", [1], [2])
    ]
    assert field_changes({"a": 1, "gone": 2}, {"a": 1}) == [FieldChange("gone", 2, None)]


def test_a_url_s_user_information_is_never_shown() -> None:
    changes = field_changes(
        {"prometheus_url": "http://prometheus:9090"},
        {"prometheus_url": "https://reader:t0ken@prometheus.example.com/api"},
    )
    assert changes == [
        FieldChange("prometheus_url", "http://prometheus:9090", "https://***@prometheus.example.com/api")
    ]


def test_a_url_s_query_is_never_shown_even_inside_a_list() -> None:
    sas = "https://acct.blob.core.example.net/models/m.onnx?sv=2024&sig=abc%3D"
    (change,) = field_changes({"models": []}, {"models": [{"uri": sas}]})
    assert change.after == [{"uri": "https://acct.blob.core.example.net/models/m.onnx?(hidden)"}]
