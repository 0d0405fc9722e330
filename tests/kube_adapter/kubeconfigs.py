"""Kubeconfig files and texts a test writes, pointing at its fake API server."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

import yaml

__all__ = ["kubeconfig", "write_kubeconfig", "exec_plugin"]


def kubeconfig(
    server: str,
    user: dict[str, Any] | None = None,
    *,
    context: str = "test",
    cluster: dict[str, Any] | None = None,
    others: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A kubeconfig whose current context `context` reaches `server` as `user`; `others` adds
    contexts `{name: server}` with no credentials."""
    servers = {context: server, **(others or {})}
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": context,
        "clusters": [
            {"name": name, "cluster": {"server": url, **(cluster or {} if name == context else {})}}
            for name, url in servers.items()
        ],
        "users": [{"name": name, "user": (user or {}) if name == context else {}} for name in servers],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}} for name in servers],
    }


def write_kubeconfig(path: Path, config: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def pem_data(pem: bytes) -> str:
    """A kubeconfig `*-data` field: base64 of the PEM."""
    return base64.b64encode(pem).decode()


def exec_plugin(
    directory: Path, token: str, *, expired: bool = False, fail_with: str | None = None, fail_from_run: int = 1
) -> dict[str, Any]:
    """An exec credential plugin (a script printing an ExecCredential, as `aws eks get-token` or
    `kubelogin` do) and the kubeconfig `user` that runs it. Each run appends a line to `runs.log`
    and, with several runs, the token gets the run number appended from the second run on. With
    `fail_with`, runs from `fail_from_run` on print it on stderr and exit 1."""
    script = directory / "credential-plugin"
    log = directory / "runs.log"
    expiry = "2000-01-01T00:00:00Z" if expired else "2999-01-01T00:00:00Z"
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": token, "expirationTimestamp": expiry},
    }
    failure = f"if runs >= {fail_from_run}: sys.stderr.write({fail_with!r}); sys.exit(1)" if fail_with else "pass"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"log = {str(log)!r}\n"
        "runs = (open(log).read().count('\\n') if os.path.exists(log) else 0) + 1\n"
        "open(log, 'a').write(os.environ.get('KUBERNETES_EXEC_INFO', '') + '\\n')\n"
        f"{failure}\n"
        f"credential = json.loads({json.dumps(json.dumps(credential))})\n"
        "if runs > 1:\n"
        "    credential['status']['token'] += f'-{runs}'\n"
        "print(json.dumps(credential))\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": str(script),
            "args": ["--cluster", "test"],
            "interactiveMode": "Never",
        }
    }
