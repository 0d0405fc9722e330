"""`local up` with models, for real: Azure ML's inference server runs entry scripts that read their
models from AZUREML_MODEL_DIR. One version serves a local file (its sha256 checked), another an
`https://` file fetched through kserve-storage from a TLS server on 127.0.0.1 (trusted through
REQUESTS_CA_BUNDLE, which the fetch gets and the replicas do not) beside a local directory, laid
out as Azure ML lays out several models. A checksum mismatch stops `up` naming both digests with
nothing left running, and a claim with no local_uri is refused naming the field."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.local_runtime.local_run_harness import LocalRuns, bearer, score, write_stack
from tests.local_runtime.model_servers import serve_https
from tests.ports import free_port

ONE_MODEL = """\
import json
import os


def init():
    global WEIGHTS
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "weights.json")) as handle:
        WEIGHTS = json.load(handle)


def run(raw_data):
    rows = json.loads(raw_data)["data"]
    return {"scores": [sum(w * x for w, x in zip(WEIGHTS, row)) for row in rows],
            "model_dir": os.environ["AZUREML_MODEL_DIR"]}
"""
SEVERAL_MODELS = """\
import json
import os

ROOT = os.environ["AZUREML_MODEL_DIR"]


def init():
    global WEIGHTS, LABELS
    with open(os.path.join(ROOT, "scorer", "7", "weights.bin")) as handle:
        WEIGHTS = json.load(handle)
    with open(os.path.join(ROOT, "labels", "2", "labels.txt")) as handle:
        LABELS = handle.read().split()


def run(raw_data):
    rows = json.loads(raw_data)["data"]
    return {"scores": [sum(w * x for w, x in zip(WEIGHTS, row)) for row in rows],
            "labels": LABELS, "model_dir": ROOT}
"""
WEIGHTS_A = b"[0.5, 0.25, 1.0]"
WEIGHTS_B = b"[1.0, 1.0, 1.0]"


def _config(https_port: int, weights_a_sha256: str, extra: str = "") -> str:
    return f"""\
config:
  model-endpoints:endpoints:
    - name: models
      auth_enabled: false
      versions:
        - name: single
          traffic_percentile: 50
          inference_config: {{entry_script: app/one.py}}
          models:
            - name: linear
              version: 1
              uri: artifacts/linear/weights.json
              sha256: "{weights_a_sha256}"
        - name: several
          traffic_percentile: 50
          inference_config: {{entry_script: app/several.py}}
          models:
            - name: scorer
              version: 7
              uri: https://127.0.0.1:{https_port}/scorer/7/weights.bin
            - name: labels
              version: 2
              uri: s3://labels-bucket/labels/2
              local_uri: artifacts/labels
{extra}"""


def _stack(directory: Path, config: str) -> Path:
    (directory / "artifacts" / "linear").mkdir(parents=True, exist_ok=True)
    (directory / "artifacts" / "linear" / "weights.json").write_bytes(WEIGHTS_A)
    (directory / "artifacts" / "labels").mkdir(parents=True, exist_ok=True)
    (directory / "artifacts" / "labels" / "labels.txt").write_text("legit fraud\n")
    return write_stack(directory, "models", config, {"app/one.py": ONE_MODEL, "app/several.py": SEVERAL_MODELS})


def _up(local_runs: LocalRuns, config_file: Path, ca: Path) -> tuple[int, dict[str, str]]:
    port = free_port()
    local_runs.stacks.add("models")
    result = local_runs.cli(
        *("local", "up", "--stack", "models", "--config", str(config_file), "--json", "--port", str(port)),
        env={"REQUESTS_CA_BUNDLE": str(ca)},
    )
    return port, {"returncode": str(result.returncode), "stdout": result.stdout, "stderr": result.stderr}


def test_local_up_serves_models_from_azureml_model_dir(local_runs: LocalRuns, tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "scorer" / "7").mkdir(parents=True)
    # served as application/octet-stream, which kserve-storage requires of a plain https file
    (site / "scorer" / "7" / "weights.bin").write_bytes(WEIGHTS_B)
    with serve_https(site, tmp_path) as (https_port, ca):
        config = _stack(tmp_path / "stack", _config(https_port, hashlib.sha256(WEIGHTS_A).hexdigest()))
        port, result = _up(local_runs, config, ca)
        assert result["returncode"] == "0", result["stderr"]

        run_dir = local_runs.run_dir("models")
        single = score(port, {"x-model-version": "single"})
        assert single.status == 200, single.body
        assert single.json() == {
            "scores": [0.5 + 0.5 + 3.0],
            "model_dir": str(run_dir / "models" / "models" / "single" / "linear" / "1"),
        }
        several = score(port, {"x-model-version": "several"})
        assert several.status == 200, several.body
        assert several.json() == {
            "scores": [6.0],
            "labels": ["legit", "fraud"],
            "model_dir": str(run_dir / "models" / "models" / "several"),
        }
    # the https model came through the cache; the local ones are links to the stack's files
    fetched = (run_dir / "models" / "models" / "several" / "scorer" / "7").resolve()
    assert fetched.name == hashlib.sha256(WEIGHTS_B).hexdigest()
    linked = run_dir / "models" / "models" / "single" / "linear" / "1" / "weights.json"
    assert linked.resolve() == (tmp_path / "stack" / "artifacts" / "linear" / "weights.json")
    state = json.loads((run_dir / "state.json").read_text())
    assert state["status"] == "running"

    down = local_runs.cli("local", "down", "--stack", "models")
    assert down.returncode == 0, down.stderr
    assert (tmp_path / "stack" / "artifacts" / "linear" / "weights.json").read_bytes() == WEIGHTS_A


def test_a_checksum_mismatch_stops_up_naming_both_digests(local_runs: LocalRuns, tmp_path: Path) -> None:
    wrong = "f" * 64
    config = _stack(tmp_path / "stack", _config(free_port(), wrong))
    _, result = _up(local_runs, config, tmp_path / "no-ca.pem")
    assert result["returncode"] == "1"
    actual = hashlib.sha256(WEIGHTS_A).hexdigest()
    assert f"model linear:1 of version single of endpoint models: sha256 mismatch: expected {wrong}, got {actual}" in result["stderr"]
    assert not local_runs.run_dir("models").exists() and local_runs.leftovers("models") == set()


def test_a_claim_without_a_local_copy_is_refused_naming_the_field(
    local_runs: LocalRuns, tmp_path: Path
) -> None:
    claim = "            - name: shared\n              version: 1\n              uri: pvc://store/shared/1\n"
    config = _stack(tmp_path / "stack", _config(free_port(), "0" * 64, claim))
    _, result = _up(local_runs, config, tmp_path / "no-ca.pem")
    assert result["returncode"] == "1"
    assert "version several of endpoint models: models[2].uri 'pvc://store/shared/1' is a claim" in result["stderr"]
    assert "local_uri" in result["stderr"]
