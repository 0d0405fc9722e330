"""Why an inference server stopped, read from its output (what `up` reports for the version)."""

from __future__ import annotations

from local_runtime.readiness import failure_reason, log_tail

# azmlinfsrv 1.5.1's output when the scoring script's init() raises (paths shortened).
INIT_FAILED = """\
2026-11-22 00:24:32,946 I [28260] azmlinfsrv.user_script - Invoking user's init function
2026-11-22 00:24:32,946 E [28260] azmlinfsrv - User's init function failed
2026-11-22 00:24:32,947 E [28260] azmlinfsrv - Encountered Exception Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/azureml_inference_server_http/server/user_script.py", line 119, in invoke_init
    self._user_init()
  File "/tmp/badmodel/score.py", line 2, in init
    raise RuntimeError("model file weights.bin is missing")
RuntimeError: model file weights.bin is missing

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/azureml_inference_server_http/server/aml_blueprint.py", line 109, in setup
    self.user_script.invoke_init()
azureml_inference_server_http.server.user_script.UserScriptException: Caught an unhandled exception from the user script

2026-11-22 00:24:32,947 I [28260] gunicorn.error - Worker exiting (pid: 28260)
2026-11-22 00:24:33,106 E [28259] gunicorn.error - Shutting down: Master
2026-11-22 00:24:33,106 E [28259] gunicorn.error - Reason: Worker failed to boot.
"""

PORT_TAKEN = """\
2026-11-22 00:40:01,100 I [100] gunicorn.error - Starting gunicorn 27.0.1
2026-11-22 00:40:01,101 E [100] gunicorn.error - Connection in use: ('127.0.0.1', 5001)
2026-11-22 00:40:01,101 E [100] gunicorn.error - Retrying in 1 second.
2026-11-22 00:40:06,110 E [100] gunicorn.error - Can't connect to ('127.0.0.1', 5001)
"""


def test_the_users_exception_wins_over_the_servers_wrapper() -> None:
    assert failure_reason(INIT_FAILED) == "RuntimeError: model file weights.bin is missing"


def test_a_port_conflict_without_a_traceback() -> None:
    assert "Can't connect to ('127.0.0.1', 5001)" in failure_reason(PORT_TAKEN)


def test_no_output_at_all() -> None:
    assert failure_reason("") == "it exited without any output"
    assert failure_reason("just one line\n") == "just one line"


def test_log_tail_keeps_the_last_lines() -> None:
    assert log_tail("a\nb\nc\n", lines=2) == "b\nc"
