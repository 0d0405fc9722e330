"""The live local demo (`make demo`): the dev stack run for real on loopback, scored, then stopped.

`python -m cli.local_demo` starts stack `dev` (versiona 20% + default, versionb 10%: effective
90/10) with real inference servers and the real router on loopback, sends `--requests` scoring
calls with the primary key, shows the split the router made next to the configured one and each
version's score of the sample (its model, read from AZUREML_MODEL_DIR), shows a call without a key refused with 401 and one pinned to versionb by the `x-model-version` header,
then stops everything, also on an error, Ctrl-C or SIGTERM. First it trains the stack's models
(`models/train_demo_models.py` next to the stack config, when there is one), so the versions score
with real model files. It uses its own temporary run directory and a free port, so it never collides with a `local up` of the same stack.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.console import Progress, report_failure
from local_runtime.errors import LocalRunError
from local_runtime.key_files import read_credentials
from local_runtime.launch import UpRequest, start_local_run
from local_runtime.loopback_http import LoopbackResponse, loopback_request
from local_runtime.ports import free_ports
from local_runtime.project_files import find_project_dir, stack_config_path
from local_runtime.run_directory import RunLayout
from local_runtime.run_record import EndpointState
from local_runtime.teardown import stop_local_run
from specification.stack_config import StackConfigError, load_stack

__all__ = ["main"]

SAMPLE = json.dumps({"data": [[1.0, 2.0, 3.0]]}).encode()


def _score(port: int, headers: dict[str, str]) -> LoopbackResponse:
    return loopback_request(
        port,
        "/score",
        method="POST",
        body=SAMPLE,
        headers={"content-type": "application/json", **headers},
        timeout=30,
    )


def _split_table(
    endpoint: EndpointState, configured: dict[str, float], served: Counter[str], total: int
) -> Table:
    table = Table(title=f"{total} requests with the primary key: the router's split")
    for column in ("version", "traffic_percentile", "effective %", "served", "observed %"):
        table.add_column(column, justify="left" if column == "version" else "right")
    for version, share in endpoint.traffic.items():
        label = f"{version} (default)" if version == endpoint.default_version else version
        table.add_row(
            label,
            f"{configured[version]:g}",
            f"{share:g}",
            str(served[version]),
            f"{100 * served[version] / total:.1f}",
        )
    other = total - sum(served[v] for v in endpoint.traffic)
    if other:
        table.add_row("[red]failed[/red]", "", "", str(other), f"{100 * other / total:.1f}")
    return table


def _exercise(
    console: Console,
    endpoint: EndpointState,
    primary_key: str,
    configured: dict[str, float],
    requests: int,
) -> None:
    auth = {"authorization": f"Bearer {primary_key}"}
    served: Counter[str] = Counter()
    with console.status(f"sending {requests} scoring requests"):
        for _ in range(requests):
            response = _score(endpoint.port, auth)
            if response.status == 200:
                served[response.headers.get("x-model-version", "?")] += 1
    console.print(_split_table(endpoint, configured, served, requests))
    console.print(f"scores of {SAMPLE.decode()}, one request pinned to each version:")
    for version in endpoint.traffic:
        answer = _score(endpoint.port, {**auth, "x-model-version": version})
        shown = answer.json().get("scores") if answer.status == 200 else f"HTTP {answer.status}"
        console.print(f"  {version}: {escape(str(shown))}")

    refused = _score(endpoint.port, {})
    console.print(
        f"without a key: HTTP {refused.status} {escape(refused.body.decode(errors='replace'))} "
        f"(www-authenticate: {refused.headers.get('www-authenticate', '-')})"
    )
    # The last version that is not the default (versionb in dev): it gets the least traffic.
    target = next(
        (v for v in reversed(endpoint.traffic) if v != endpoint.default_version),
        endpoint.default_version,
    )
    pinned = _score(endpoint.port, {**auth, "x-model-version": target})
    console.print(
        f"pinned with x-model-version: {target}: HTTP {pinned.status}, served by "
        f"{pinned.headers.get('x-model-version')} ({pinned.headers.get('x-model-role')}): "
        f"{escape(pinned.body.decode(errors='replace'))}"
    )


TRAINING_SCRIPT = Path("models") / "train_demo_models.py"  # beside the stack config


def _train_models(console: Console, stack_dir: Path) -> None:
    """Run the stack's training script, which writes the model files its versions serve."""
    script = stack_dir / TRAINING_SCRIPT
    if not script.is_file():
        return
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise LocalRunError(f"{script} failed:\n{done.stderr.strip()}")
    for line in done.stdout.splitlines():
        console.print(f"trained: {escape(line)}")


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cli.local_demo", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--stack", default="dev", help="Example stack to run (default dev).")
    parser.add_argument(
        "--requests", type=int, default=300, help="Scoring requests to send (default 300)."
    )
    args = parser.parse_args(argv)
    console = Console(highlight=False)
    # Stop everything on SIGTERM as on Ctrl-C, also when started with SIGINT ignored (a
    # background job of a non-interactive shell).
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    runs = Path(tempfile.mkdtemp(prefix="model-endpoints-demo-"))
    layout = RunLayout(runs / args.stack)
    console.rule(
        f"model-endpoints local up --stack {args.stack} (real inference servers, real router)"
    )
    try:
        config = stack_config_path(args.stack, find_project_dir())
        stack = load_stack(args.stack, config)
        _train_models(console, stack.source_dir)
        progress = Progress(console)
        with progress.spinner():
            state = start_local_run(
                UpRequest(
                    stack=args.stack,
                    config_file=config,
                    run_dir=layout.root,
                    scoring_port=next(free_ports()),
                ),
                say=progress.say,
                pip_line=progress.pip_line,
            )
        for name, endpoint in state.endpoints.items():
            spec = next(e for e in stack.spec.endpoints if e.name == name)
            configured = {v.name: v.traffic_percentile for v in spec.versions}
            credentials = read_credentials(layout.keys_dir, name)
            console.rule(f"endpoint {name} at {endpoint.url}")
            if credentials.primary_key is None:
                console.print("auth is off for this endpoint: nothing to refuse")
                continue
            _exercise(console, endpoint, credentials.primary_key, configured, args.requests)
        return 0
    except (LocalRunError, StackConfigError, KeyboardInterrupt) as error:
        return report_failure(console, error)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # do not interrupt the clean-up itself
        report = stop_local_run(layout)
        shutil.rmtree(runs, ignore_errors=True)
        console.print(f"stopped everything ({report.signalled} processes); removed {runs}")
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


if __name__ == "__main__":
    sys.exit(main())
