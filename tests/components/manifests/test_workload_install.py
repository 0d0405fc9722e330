"""A pod's install and serve steps for an inference-config version, run for real: the init
container's command with pip into an empty directory (the pod's emptyDir), then the installed
inference server on the mounted code, found the way the model container finds it.

The model container's own command starts `azmlinfsrv`, which listens on every interface; here the
same installed server is started through `scoring/serve_local.py`, which is `azmlinfsrv` pinned to
127.0.0.1, and the console script the manifest names is checked to run that same entry point.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from components.manifests.workload import install_command, scoring_command
from specification import InferenceConfig
from tests.ports import free_port
from tests.scoring.azmlinfsrv_harness import (
    SCORING,
    listening_addresses,
    post,
    stop,
    wait_until_healthy,
)
from tests.specs import version

INSTALL_TIMEOUT_SECONDS = 600
SCORE = """\
import json

import six


def init():
    pass


def run(raw_data):
    return {"doubled": [2 * x for x in json.loads(raw_data)["data"]], "six": six.__version__}
"""


def test_the_install_step_installs_what_the_serve_step_runs(tmp_path: Path) -> None:
    v = version(
        "v1",
        image=None,
        inference_config=InferenceConfig(entry_script="models/score.py", requirements=["six==1.16.0"]),
        port=free_port(),
    )
    code, site = tmp_path / "code", tmp_path / "site"  # the ConfigMap and the emptyDir
    code.mkdir()
    (code / "score.py").write_text(SCORE)
    (code / "requirements.txt").write_text("six==1.16.0\n")
    interpreter_bin = str(Path(sys.executable).parent)  # the base image's python and pip
    env = {"PATH": f"{interpreter_bin}:/usr/bin:/bin", "HOME": str(tmp_path)}

    installed = subprocess.run(
        install_command(code_dir=str(code), site_dir=str(site)),
        env=env,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_SECONDS,
    )
    assert installed.returncode == 0, installed.stderr[-4000:]
    assert (site / "six.py").is_file()  # the version's requirements
    assert (site / "azureml_inference_server_http").is_dir()  # and the server

    # the model container execs site/bin/azmlinfsrv: azmlinfsrv's entry point, installed
    command = scoring_command(v, code_dir=str(code), site_dir=str(site))[2]
    console_script = site / "bin" / "azmlinfsrv"
    assert command == f"exec {console_script} --entry_script {code}/score.py --port {v.port}"
    assert "from azureml_inference_server_http.amlserver import run" in console_script.read_text()

    # ... which serves the mounted script with what was installed, found through PYTHONPATH
    log = tmp_path / "server.log"
    serve = [
        sys.executable,
        "-s",  # no user site-packages: only the installed directory adds packages
        str(SCORING / "serve_local.py"),
        "--entry_script",
        str(code / "score.py"),
        "--port",
        str(v.port),
    ]
    with log.open("wb") as output:
        server = subprocess.Popen(
            serve,
            cwd=tmp_path,
            env={**env, "PYTHONPATH": str(site)},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_healthy(server, v.port, log)
        assert listening_addresses(v.port) == {"127.0.0.1"}
        assert post(v.port, {"data": [1, 2]}) == (200, {"doubled": [2, 4], "six": "1.16.0"})
        loaded_from = subprocess.run(
            [sys.executable, "-s", "-c", "import azureml_inference_server_http as m; print(m.__file__)"],
            env={**env, "PYTHONPATH": str(site)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert loaded_from.stdout.startswith(str(site)), loaded_from
    finally:
        stop(server)
