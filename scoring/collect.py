"""Model data collection: an entry script for `azmlinfsrv` that wraps the user's scoring script.

Serve with `azmlinfsrv --entry_script .../collect.py`. This file is standalone (standard library
only, Python 3.8+): it runs inside a version's own virtualenv and inside cluster pods, where the
model-endpoints project is not installed. The user's script is loaded, never changed.

Environment:
  MODEL_ENDPOINTS_ENTRY_SCRIPT     path of the user's scoring script (required)
  MODEL_ENDPOINTS_VERSION          version name written on every line (required)
  MODEL_ENDPOINTS_MODEL_DATA_FILE  append the lines to this file; unset: write them to stdout

Each call of `run()` records one line of compact, ASCII-only JSON:
  {"ts": "<UTC ISO-8601, when the call started>", "version": "<name>",
   "request": <raw_data: parsed when it is JSON text, else the string>,
   "response": <the return value in JSON form, null on error>,
   "error": null | {"type": "<exception class name>", "message": "<str(exception)>"},
   "duration_ms": <time spent in the user's run(), ms>}
The return value and any exception reach the server exactly as the user's `run()` produced them.

What azmlinfsrv 1.x does with a plain entry script, it does with the wrapped one: `run(data)` or
`run(raw_data)` (any name for the data parameter; the server only sees this module's `run`, and
the wrapper passes the data on by the user's parameter name), a `request_headers` parameter, a
`driver_module` attribute, and `@rawhttp` (the request is recorded as its body text, a returned
`AMLResponse` as `{"status_code", "body"}`). Not supported: `run()` decorated with inference-schema's
`@input_schema`/`@output_schema` (the server would parse the body into typed parameters, and it
cannot see the decorators through the wrapper): loading such a script fails with a message that says
so. Swagger generated from those decorators is therefore never served with collection on.

Limits: payloads are recorded whole, with no truncation (cluster log pipelines split lines longer
than their limit, 16 KiB for CRI runtimes). Values JSON cannot hold are recorded in a JSON form:
NaN and infinities as strings, sets and tuples as lists, objects with `tolist()` (numpy) or
`to_dict()` (pandas) through those, anything else as `str()`. A line that cannot be written (disk
full, no permission) is reported on stderr and the request is answered as usual. On stdout, lines
of several server workers (WORKER_COUNT > 1) longer than the pipe's atomic write (4 KiB) may
interleave; the data file has no such limit. azmlinfsrv reads a `logging.json` from the entry
script's directory, which is now this file's: in a pod both files share /var/azureml-app/code.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.util
import inspect
import json
import math
import os
import sys
import threading
import time
import types
from typing import Any, Callable, Dict, Optional, Tuple

try:
    import fcntl
except ImportError:  # Windows: appends of one buffer are still whole; workers share no lock
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "DATA_FILE_ENV",
    "ENTRY_SCRIPT_ENV",
    "VERSION_ENV",
    "CollectionSetupError",
    "init",
    "run",
]

ENTRY_SCRIPT_ENV = "MODEL_ENDPOINTS_ENTRY_SCRIPT"
VERSION_ENV = "MODEL_ENDPOINTS_VERSION"
DATA_FILE_ENV = "MODEL_ENDPOINTS_MODEL_DATA_FILE"
HEADERS_PARAMETER = "request_headers"  # azmlinfsrv passes the request headers under this name
_MAX_NESTING = 64


class CollectionSetupError(RuntimeError):
    """The wrapper cannot serve this script with collection on; the message says why and the fix."""


def _required_env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise CollectionSetupError(f"model data collection: environment variable {name} is not set")
    return value


def _data_file() -> Optional[str]:
    path = os.environ.get(DATA_FILE_ENV, "")
    if not path:
        return None
    path = os.path.abspath(path)  # the user's init() may change directory
    if not os.path.isdir(os.path.dirname(path)):
        raise CollectionSetupError(
            f"model data collection: {DATA_FILE_ENV}={path!r}: its directory does not exist"
        )
    return path


def _load_user_module(path: str) -> types.ModuleType:
    if not os.path.isfile(path):
        raise CollectionSetupError(f"model data collection: {ENTRY_SCRIPT_ENV}={path!r}: no such file")
    if os.path.samefile(path, __file__):
        raise CollectionSetupError(
            f"model data collection: {ENTRY_SCRIPT_ENV} names the wrapper itself ({path!r}); "
            "it must name the user's scoring script"
        )
    directory = os.path.dirname(path)
    if not sys.path or sys.path[0] != directory:
        sys.path.insert(0, directory)  # the script's sibling modules import as they do unwrapped
    digest = hashlib.sha256(path.encode("utf-8")).hexdigest()[:16]
    name = f"model_endpoints_entry_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CollectionSetupError(f"model data collection: cannot load {path!r} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # as an import would: pickle and dataclasses look modules up here
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _entry_points(module: types.ModuleType, path: str) -> Tuple[Callable[[], Any], Callable[..., Any]]:
    for name in ("init", "run"):
        if not callable(getattr(module, name, None)):
            raise CollectionSetupError(f"model data collection: {path} does not define {name}()")
    # azmlinfsrv calls run() of a generated driver module's target directly; do the same.
    driver = getattr(module, "driver_module", None)
    if isinstance(driver, types.ModuleType) and callable(getattr(driver, "run", None)):
        return module.init, driver.run
    return module.init, module.run


def _is_schema_decorated(function: Callable[..., Any]) -> bool:
    # The user's script imported inference-schema if it uses its decorators; never import it here.
    schema_util = sys.modules.get("inference_schema.schema_util")
    return schema_util is not None and bool(schema_util.is_schema_decorated(function))


def _run_signature(function: Callable[..., Any], path: str) -> Tuple[str, bool]:
    """The name of run()'s data parameter and whether it takes the request headers, by the rules
    azmlinfsrv applies to an unwrapped script."""
    if _is_schema_decorated(function):
        raise CollectionSetupError(
            f"model data collection: run() in {path} is decorated with inference-schema "
            "(@input_schema/@output_schema), which collect_model_data does not support: remove the "
            "decorators and parse the JSON text in run(), or turn collect_model_data off"
        )
    parameters = list(inspect.signature(function).parameters.values())
    allowed = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    if any(parameter.kind not in allowed for parameter in parameters):
        raise CollectionSetupError(
            f"model data collection: run() in {path} cannot accept positional-only arguments, "
            "*args, or **kwargs (azmlinfsrv's rule)"
        )
    data = [parameter.name for parameter in parameters if parameter.name != HEADERS_PARAMETER]
    if not data:
        raise CollectionSetupError(
            f"model data collection: run() in {path} needs to accept an argument for input data"
        )
    return data[0], len(data) < len(parameters)


def _json_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, (bool, int, float)):
        return json.dumps(key)  # the key json.dumps would write: 1 -> "1", True -> "true"
    return str(key)


def _jsonable(value: Any, depth: int = 0) -> Any:
    """`value` in a form `json.dumps(..., allow_nan=False)` accepts."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if depth >= _MAX_NESTING:
        return f"<nested deeper than {_MAX_NESTING} levels>"
    if isinstance(value, dict):
        return {_json_key(key): _jsonable(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(item, depth + 1) for item in value]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if hasattr(value, "status_code") and callable(getattr(value, "get_data", None)):
        # A flask Response (AMLResponse): a streamed body is left unread, so it still streams.
        body = None if getattr(value, "is_streamed", False) else _parse_text(value.get_data(as_text=True))
        return {"status_code": value.status_code, "body": body}
    for method in ("tolist", "to_dict"):
        if callable(getattr(value, method, None)):
            return _jsonable(getattr(value, method)(), depth + 1)
    return str(value)


def _parse_text(text: str) -> Any:
    try:
        return _jsonable(json.loads(text))
    except ValueError:
        return text


def _request_form(raw_data: Any) -> Any:
    if isinstance(raw_data, str):
        return _parse_text(raw_data)
    if isinstance(raw_data, (bytes, bytearray)):
        return _parse_text(bytes(raw_data).decode("utf-8", "replace"))
    if callable(getattr(raw_data, "get_data", None)):  # @rawhttp: the flask request, after run()
        return _parse_text(raw_data.get_data(as_text=True))
    return _jsonable(raw_data)


def _error_form(error: Optional[BaseException]) -> Optional[Dict[str, str]]:
    if error is None:
        return None
    return {"type": type(error).__name__, "message": str(error)}


def _line(started: float, raw_data: Any, result: Any, error: Optional[BaseException], duration_ms: float) -> str:
    timestamp = datetime.datetime.fromtimestamp(started, tz=datetime.timezone.utc)
    record = {
        "ts": timestamp.isoformat(timespec="microseconds"),
        "version": _VERSION,
        "request": _request_form(raw_data),
        "response": None if error is not None else _jsonable(result),
        "error": _error_form(error),
        "duration_ms": round(duration_ms, 3),
    }
    return json.dumps(record, ensure_ascii=True, allow_nan=False, separators=(",", ":")) + "\n"


_write_lock = threading.Lock()


def _write(line: str) -> None:
    with _write_lock:
        if _DATA_FILE is None:
            # Not print(): azmlinfsrv turns print() to stdout into prefixed log records.
            sys.stdout.write(line)
            sys.stdout.flush()
            return
        # Opened per line in append mode, written in one call under an exclusive lock, so lines
        # from several server workers never interleave.
        with open(_DATA_FILE, "ab") as handle:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            handle.write(line.encode("ascii"))
            handle.flush()


def _record(started: float, raw_data: Any, result: Any, error: Optional[BaseException], duration_ms: float) -> None:
    # Recording must never change the answer: a failure here is reported, the request goes on.
    try:
        _write(_line(started, raw_data, result, error, duration_ms))
    except Exception as failure:  # noqa: BLE001 - any failure to record is reported the same way
        try:
            sys.stderr.write(f"model data collection: could not record a request: {failure!r}\n")
            sys.stderr.flush()
        except Exception:  # noqa: BLE001 - stderr itself is gone: nothing left to tell
            pass


def init() -> Any:
    """Run the user's `init()` (azmlinfsrv calls it once per worker)."""
    return _user_init()


def run(raw_data: Any, request_headers: Optional[Dict[str, str]] = None) -> Any:
    """Call the user's `run()` with `raw_data` (and the headers, when it takes them), record the
    call as one JSON line, and return its result or raise its exception unchanged. The headers are
    never recorded (they carry the caller's key or token)."""
    arguments: Dict[str, Any] = {_DATA_PARAMETER: raw_data}
    if _TAKES_HEADERS:
        arguments[HEADERS_PARAMETER] = {} if request_headers is None else request_headers
    started = time.time()
    clock = time.perf_counter()
    try:
        result = _user_run(**arguments)
    except BaseException as error:
        _record(started, raw_data, None, error, (time.perf_counter() - clock) * 1000)
        raise
    _record(started, raw_data, result, None, (time.perf_counter() - clock) * 1000)
    return result


_ENTRY_SCRIPT = os.path.abspath(_required_env(ENTRY_SCRIPT_ENV))
_VERSION = _required_env(VERSION_ENV)
_DATA_FILE = _data_file()
# Loaded when the server imports this file, not in init(): the server inspects run() and reads
# @rawhttp's flag right after the import.
_user_init, _user_run = _entry_points(_load_user_module(_ENTRY_SCRIPT), _ENTRY_SCRIPT)
_DATA_PARAMETER, _TAKES_HEADERS = _run_signature(_user_run, _ENTRY_SCRIPT)
