"""Where a stack's run directory is, and which file of a run goes where inside it.

A run directory holds what one `local up` started and goes away with `local down`, so it lives in
the project (`.model-endpoints/runs/<stack>/`, gitignored) or under `$MODEL_ENDPOINTS_RUN_DIR`.
Inside it (pure path arithmetic, nothing is created here):

<run dir>/
  .model-endpoints-run            written when `local up` creates the directory: only a directory
                                  with it (or a valid state.json) is ever removed
  state.json                      the run's record: ports, pids, URLs, the live routing and the
                                  traffic shift in progress (mode 0600)
  apply.lock                      held (flock) by the one `local apply` that may run at a time
  keys/<endpoint>.json            API keys, token issuer/audience (0600)
  keys/<endpoint>-token-signing-key.pem
  router/<endpoint>/haproxy.cfg   the rendered router, its map files, jwt-public.pem, admin.sock
  router/<endpoint>/routing/      the routing table as a ConfigMap volume lays it out: split.map
                                  and revision behind a ..data link (router_agent.routing_dir)
  logs/<endpoint>-router.log      HAProxy's output (the access log with enable_app_insights)
  logs/<endpoint>-routing-agent.log   the routing agent's output
  logs/<endpoint>-<version>-<n>.log   each replica's inference server output
  model-data/<version>.jsonl      one JSON line per request of a collect_model_data version
  models/<endpoint>/<version>/<model>/<model version>
                                  a version's models, as links to the model cache or to the local
                                  path the spec gives (AZUREML_MODEL_DIR points here)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from local_runtime.errors import LocalRunError
from local_runtime.project_files import PROJECT_FILE, check_stack_name

__all__ = [
    "CREATED_MARKER",
    "PROJECT_RUNS_DIR",
    "RUNS_DIR_ENV",
    "RunLayout",
    "run_dir_for",
    "runs_root",
]

RUNS_DIR_ENV = "MODEL_ENDPOINTS_RUN_DIR"  # holds one directory per stack, instead of the project's
PROJECT_RUNS_DIR = Path(".model-endpoints") / "runs"
CREATED_MARKER = ".model-endpoints-run"  # in a run directory that `local up` created


def runs_root(project_dir: Path | None, environ: Mapping[str, str] | None = None) -> Path:
    """The directory holding one run directory per stack."""
    environ = os.environ if environ is None else environ
    configured = environ.get(RUNS_DIR_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    if project_dir is None:
        raise LocalRunError(
            f"no {PROJECT_FILE} in this directory or its parents, so no place for run files: run "
            f"from the project or set {RUNS_DIR_ENV}"
        )
    return project_dir / PROJECT_RUNS_DIR


def run_dir_for(stack: str, root: Path) -> Path:
    """The run directory of `stack` under `root`."""
    return root / check_stack_name(stack)


@dataclass(frozen=True)
class RunLayout:
    """Paths inside the run directory `root`."""

    root: Path

    @property
    def created_marker(self) -> Path:
        return self.root / CREATED_MARKER

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    @property
    def apply_lock(self) -> Path:
        return self.root / "apply.lock"

    @property
    def keys_dir(self) -> Path:
        return self.root / "keys"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def model_data_dir(self) -> Path:
        return self.root / "model-data"

    def models_dir(self, endpoint: str, version: str, generation: int = 1) -> Path:
        """The models root of one version's replicas of `generation`: AZUREML_MODEL_DIR is it or
        a model under it. A blue/green replacement's new replicas (generation 2, 3, ...) get a
        tree of their own, `models-g<N>/`, so blue keeps its models while green has the new ones."""
        tree = "models" if generation == 1 else f"models-g{generation}"
        return self.root / tree / endpoint / version

    def router_dir(self, endpoint: str) -> Path:
        return self.root / "router" / endpoint

    def routing_dir(self, endpoint: str) -> Path:
        return self.router_dir(endpoint) / "routing"

    def router_log(self, endpoint: str) -> Path:
        return self.logs_dir / f"{endpoint}-router.log"

    def agent_log(self, endpoint: str) -> Path:
        return self.logs_dir / f"{endpoint}-routing-agent.log"

    def replica_log(self, replica_name: str) -> Path:
        return self.logs_dir / f"{replica_name}.log"

    def model_data_file(self, endpoint: str, version: str, *, qualified: bool = False) -> Path:
        """`model-data/<version>.jsonl`; `<endpoint>-<version>.jsonl` when `qualified` (two
        endpoints of the stack collect data for versions of the same name)."""
        name = f"{endpoint}-{version}" if qualified else version
        return self.model_data_dir / f"{name}.jsonl"
