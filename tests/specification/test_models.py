"""The `models` of a version: the schemes a model may come from, each refused with the field
named and the rule, no credentials in a URI, Azure ML's layout of AZUREML_MODEL_DIR, and the rule
that a cluster cannot fetch a local path."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from specification.errors import format_validation_error
from specification.models import ModelSpec, cluster_uri_problem, model_dir, uri_kind
from tests.specs import version


@pytest.mark.parametrize(
    "uri, kind",
    [
        ("s3://models/iris/3", "s3"),
        ("gs://models/iris/3", "gs"),
        ("https://account1.blob.core.windows.net/models/iris/3", "azure-blob"),
        ("https://models.example.com/iris/3/model.onnx", "https"),
        ("pvc://model-store/iris/3", "pvc"),
        ("file:///srv/models/iris", "file"),
        ("models/iris/model.pkl", "local"),
        ("/srv/models/iris", "local"),
    ],
)
def test_every_supported_source_has_its_kind(uri: str, kind: str) -> None:
    assert uri_kind(uri) == kind


def _problems(model: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        version(models=[{"name": "iris", "version": 3, **model}])
    return format_validation_error(caught.value)


@pytest.mark.parametrize(
    "uri, rule",
    [
        ("hf://org/model", "scheme hf:// is not supported; use s3://"),
        ("http://models.example.com/iris.onnx", "scheme http:// is not supported"),
        ("pvc://model-store", "needs the model's path inside the claim"),
        ("pvc://model-store/", "needs the model's path inside the claim"),
        ("pvc://model-store/../etc", "needs the model's path inside the claim"),
        ("pvc://Bad_Claim/iris", "needs a claim name"),
        ("s3://user:secret@models/iris", "must not hold credentials"),
        ("https://account1.blob.core.windows.net/models/iris?sv=1&sig=abc", "must not hold credentials"),
        ("https://models.example.com/iris/", "must end with its file name"),
        ("https://account1.blob.core.windows.net/models", "<container>/<path>"),
        ("file://host/srv/iris", "file:///<absolute path>"),
        ("../models/iris", "'..' segment"),
        ("models/ iris", "space or control character"),
    ],
)
def test_a_bad_uri_is_refused_with_the_field_and_the_rule(uri: str, rule: str) -> None:
    message = _problems({"uri": uri})
    assert message.startswith("models[0].uri: ")
    assert rule in message


def test_a_numeric_model_version_is_kept_as_its_text() -> None:
    assert ModelSpec.model_validate({"name": "iris", "version": 3, "uri": "s3://models/i"}).version == "3"


def test_credentials_come_from_a_named_secret_and_never_for_a_volume() -> None:
    assert version(models=[{"name": "i", "version": 1, "uri": "s3://models/i", "secret_name": "s3"}])
    message = _problems({"uri": "pvc://store/iris", "secret_name": "creds"})
    assert "models[0]: secret_name 'creds'" in message and "needs no credentials" in message


def test_a_checksum_is_a_sha256_in_hex() -> None:
    assert "models[0].sha256" in _problems({"uri": "s3://models/i", "sha256": "abc"})


def test_one_name_and_version_is_one_directory() -> None:
    with pytest.raises(ValidationError, match="iris/3 given more than once"):
        version(
            models=[
                {"name": "iris", "version": 3, "uri": "s3://models/a"},
                {"name": "iris", "version": "3", "uri": "s3://models/b"},
            ]
        )


def test_the_model_dir_is_azure_mls_one_model_or_their_parent() -> None:
    one = [ModelSpec(name="iris", version="3", uri="s3://models/i")]
    two = [*one, ModelSpec(name="resnet", version="7", uri="s3://models/r")]
    assert model_dir(one) == "/var/azureml-app/azureml-models/iris/3"
    assert model_dir(two) == "/var/azureml-app/azureml-models"
    assert model_dir(one, "/run/models") == "/run/models/iris/3"


def test_a_cluster_cannot_fetch_a_local_path() -> None:
    assert cluster_uri_problem("s3://models/i") is None and cluster_uri_problem("pvc://s/i") is None
    for uri in ("models/iris.pkl", "file:///srv/iris"):
        problem = cluster_uri_problem(uri)
        assert problem is not None and "only `model-endpoints local up` can serve" in problem


def test_azureml_model_dir_is_set_by_the_project_when_there_are_models() -> None:
    with pytest.raises(ValidationError, match="env 'AZUREML_MODEL_DIR'"):
        version(
            models=[{"name": "i", "version": 1, "uri": "s3://models/i"}],
            env={"AZUREML_MODEL_DIR": "/elsewhere"},
        )
