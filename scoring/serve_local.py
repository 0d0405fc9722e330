"""Start Azure ML's inference server (`azmlinfsrv`) bound to 127.0.0.1 only.

Run with the Python of a virtualenv that has `azureml-inference-server-http`, by file path, with
azmlinfsrv's own arguments: `python serve_local.py --entry_script score.py --port 5001`.
azmlinfsrv binds 0.0.0.0 and has no option for the address; this launcher sets the module constant
its `run()` reads before starting it. Standalone (standard library plus the server): this project is
not installed in that virtualenv.
"""

from __future__ import annotations

import sys

LOOPBACK = "127.0.0.1"


def main() -> None:
    """Run azmlinfsrv's command line on loopback; refuse to start if it cannot be pinned there."""
    from azureml_inference_server_http import amlserver

    # amlserver.run() passes its module-level DEFAULT_HOST to gunicorn's bind. If a server release
    # stops reading it, stop here rather than listen on every interface.
    if getattr(amlserver, "DEFAULT_HOST", None) != "0.0.0.0":
        sys.exit(
            "serve_local: this azureml-inference-server-http has no DEFAULT_HOST of 0.0.0.0 to "
            "replace, so it cannot be bound to loopback; use a 1.x release"
        )
    amlserver.DEFAULT_HOST = LOOPBACK
    sys.argv[0] = "azmlinfsrv"
    amlserver.run()


if __name__ == "__main__":
    main()
