"""The files of one run directory, by role (pure path arithmetic, nothing is created here).

<run dir>/
  state.json                      what was started: ports, pids, URLs (mode 0600)
  keys/<endpoint>.json            API keys, token issuer/audience (0600)
  keys/<endpoint>-token-signing-key.pem
  router/<endpoint>/haproxy.cfg   the rendered router, its map files, jwt-public.pem, admin.sock
  logs/<endpoint>-router.log      HAProxy's output (the access log with enable_app_insights)
  logs/<endpoint>-<version>-<n>.log   each replica's inference server output
  model-data/<version>.jsonl      one JSON line per request of a collect_model_data version
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["RunLayout"]


@dataclass(frozen=True)
class RunLayout:
    """Paths inside the run directory `root`."""

    root: Path

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    @property
    def keys_dir(self) -> Path:
        return self.root / "keys"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def model_data_dir(self) -> Path:
        return self.root / "model-data"

    def router_dir(self, endpoint: str) -> Path:
        return self.root / "router" / endpoint

    def router_log(self, endpoint: str) -> Path:
        return self.logs_dir / f"{endpoint}-router.log"

    def replica_log(self, replica_name: str) -> Path:
        return self.logs_dir / f"{replica_name}.log"

    def model_data_file(self, endpoint: str, version: str, *, qualified: bool = False) -> Path:
        """`model-data/<version>.jsonl`; `<endpoint>-<version>.jsonl` when `qualified` (two
        endpoints of the stack collect data for versions of the same name)."""
        name = f"{endpoint}-{version}" if qualified else version
        return self.model_data_dir / f"{name}.jsonl"
