"""The model data collection wrapper (`scoring/collect.py`) around small user scripts."""

from __future__ import annotations

import datetime
import importlib.util
import itertools
import json
import subprocess
import sys
import textwrap
import threading
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

COLLECT = Path(importlib.util.find_spec("scoring").origin).with_name("collect.py")  # type: ignore[arg-type]
FIELDS = ["ts", "version", "request", "response", "error", "duration_ms"]
_loads = itertools.count()

DICT_SCRIPT = """
    import json

    READY = False
    RESULTS = []

    def init():
        global READY
        READY = True

    def run(raw_data):
        rows = json.loads(raw_data)["data"]
        result = {"sums": [sum(row) for row in rows], "ready": READY}
        RESULTS.append(result)
        return result
"""
RAISING_SCRIPT = """
    class ModelRejected(Exception):
        pass

    ERRORS = []

    def init():
        pass

    def run(raw_data):
        if raw_data == "ok":
            return "fine"
        error = ModelRejected(f"cannot score {raw_data!r}")
        ERRORS.append(error)
        raise error
"""
SIBLING_SCRIPT = """
    import features

    def init():
        pass

    def run(raw_data):
        return {"scaled": features.scale(raw_data)}
"""
SIBLING_MODULE = """
    import json

    def scale(raw_data):
        return [2 * x for x in json.loads(raw_data)]
"""
DATA_PARAMETER_SCRIPT = """
    def init():
        pass

    def run(data):
        return data.upper()
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def load_wrapper(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Callable[..., types.ModuleType]]:
    """Load a fresh copy of collect.py, as azmlinfsrv does, with the wrapper's env set."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)

    def load(entry: Path, data_file: Path | None = None, version: str = "blue") -> types.ModuleType:
        monkeypatch.setenv("MODEL_ENDPOINTS_ENTRY_SCRIPT", str(entry))
        monkeypatch.setenv("MODEL_ENDPOINTS_VERSION", version)
        if data_file is None:
            monkeypatch.delenv("MODEL_ENDPOINTS_MODEL_DATA_FILE", raising=False)
        else:
            monkeypatch.setenv("MODEL_ENDPOINTS_MODEL_DATA_FILE", str(data_file))
        spec = importlib.util.spec_from_file_location(f"collect_under_test_{next(_loads)}", COLLECT)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    yield load
    for name in set(sys.modules) - before:  # the user scripts and their siblings
        if str(tmp_path) in str(getattr(sys.modules[name], "__file__", "") or ""):
            del sys.modules[name]


def _user_module(entry: Path) -> types.ModuleType:
    return next(m for m in list(sys.modules.values()) if getattr(m, "__file__", None) == str(entry))


def _record(line: str) -> dict[str, Any]:
    """One recorded line, checked for shape; ts and duration_ms checked and removed."""
    assert line.endswith("\n") and "\n" not in line[:-1]
    record = json.loads(line)
    assert list(record) == FIELDS
    ts = datetime.datetime.fromisoformat(record.pop("ts"))
    assert ts.utcoffset() == datetime.timedelta(0)
    assert abs(datetime.datetime.now(datetime.timezone.utc) - ts) < datetime.timedelta(minutes=1)
    duration = record.pop("duration_ms")
    assert isinstance(duration, float | int) and 0 <= duration < 60_000
    return record


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def test_dict_result_is_returned_as_is_and_recorded_on_stdout(
    load_wrapper: Callable[..., types.ModuleType], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = _write(tmp_path / "model" / "score.py", DICT_SCRIPT)
    wrapper = load_wrapper(entry)
    wrapper.init()
    result = wrapper.run('{"data": [[1, 2], [3, 4.5]]}')
    assert result is _user_module(entry).RESULTS[-1]
    assert result == {"sums": [3, 7.5], "ready": True}
    out = capsys.readouterr().out
    assert _record(out) == {
        "version": "blue",
        "request": {"data": [[1, 2], [3, 4.5]]},
        "response": {"sums": [3, 7.5], "ready": True},
        "error": None,
    }


def test_exception_propagates_unchanged_and_is_recorded_in_the_file(
    load_wrapper: Callable[..., types.ModuleType], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = _write(tmp_path / "score.py", RAISING_SCRIPT)
    data_file = tmp_path / "data" / "blue.jsonl"
    data_file.parent.mkdir()
    wrapper = load_wrapper(entry, data_file=data_file, version="green")
    wrapper.init()
    with pytest.raises(Exception) as raised:
        wrapper.run("not json")
    assert raised.value is _user_module(entry).ERRORS[-1]
    assert wrapper.run("ok") == "fine"  # the next call appends
    first, second = _lines(data_file)
    assert _record(first) == {
        "version": "green",
        "request": "not json",
        "response": None,
        "error": {"type": "ModelRejected", "message": "cannot score 'not json'"},
    }
    assert _record(second) == {"version": "green", "request": "ok", "response": "fine", "error": None}
    assert capsys.readouterr().out == ""  # file mode writes nothing to stdout


def test_sibling_imports_work_from_the_scripts_directory(
    load_wrapper: Callable[..., types.ModuleType], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = _write(tmp_path / "app" / "score.py", SIBLING_SCRIPT)
    _write(tmp_path / "app" / "features.py", SIBLING_MODULE)
    wrapper = load_wrapper(entry)
    assert sys.path[0] == str(entry.parent)
    assert wrapper.run("[1, 2.5]") == {"scaled": [2, 5.0]}
    assert _record(capsys.readouterr().out) == {
        "version": "blue",
        "request": [1, 2.5],
        "response": {"scaled": [2, 5.0]},
        "error": None,
    }


def test_run_with_a_data_parameter_gets_the_raw_text(
    load_wrapper: Callable[..., types.ModuleType], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = _write(tmp_path / "score.py", DATA_PARAMETER_SCRIPT)
    wrapper = load_wrapper(entry)
    assert wrapper.run("plain text, not JSON") == "PLAIN TEXT, NOT JSON"
    assert _record(capsys.readouterr().out) == {
        "version": "blue",
        "request": "plain text, not JSON",
        "response": "PLAIN TEXT, NOT JSON",
        "error": None,
    }


def test_request_headers_reach_a_run_that_takes_them_and_are_not_recorded(
    load_wrapper: Callable[..., types.ModuleType], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = _write(
        tmp_path / "score.py",
        """
        def init():
            pass

        def run(request_headers, payload):
            return {"caller": request_headers.get("X-Caller"), "payload": payload}
        """,
    )
    wrapper = load_wrapper(entry)
    headers = {"X-Caller": "tests", "Authorization": "Bearer secret"}
    assert wrapper.run("{}", request_headers=headers) == {"caller": "tests", "payload": "{}"}
    out = capsys.readouterr().out
    assert "secret" not in out
    assert _record(out)["response"] == {"caller": "tests", "payload": "{}"}


def test_values_json_cannot_hold_are_recorded_in_a_json_form(
    load_wrapper: Callable[..., types.ModuleType], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = _write(
        tmp_path / "score.py",
        """
        class Array:
            def tolist(self):
                return [[1.0, 2.0]]

        RESULT = {"nan": float("nan"), "pair": (1, 2), "tags": {"a"}, 3: b"raw", "array": Array(),
                  "when": __import__("datetime").date(2024, 5, 1)}

        def init():
            pass

        def run(raw_data):
            return RESULT
        """,
    )
    wrapper = load_wrapper(entry)
    assert wrapper.run("x") is _user_module(entry).RESULT
    assert _record(capsys.readouterr().out)["response"] == {
        "nan": "nan",
        "pair": [1, 2],
        "tags": ["a"],
        "3": "raw",
        "array": [[1.0, 2.0]],
        "when": "2024-05-01",
    }


def test_a_line_that_cannot_be_written_does_not_fail_the_request(
    load_wrapper: Callable[..., types.ModuleType], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = _write(tmp_path / "score.py", DATA_PARAMETER_SCRIPT)
    data_file = tmp_path / "data.jsonl"
    wrapper = load_wrapper(entry, data_file=data_file)
    data_file.mkdir()  # opening it for appending now fails
    assert wrapper.run("still answered") == "STILL ANSWERED"
    assert "could not record a request" in capsys.readouterr().err


def test_threads_write_whole_lines(
    load_wrapper: Callable[..., types.ModuleType], tmp_path: Path
) -> None:
    entry = _write(tmp_path / "score.py", DATA_PARAMETER_SCRIPT)
    data_file = tmp_path / "data.jsonl"
    wrapper = load_wrapper(entry, data_file=data_file)
    payload = "x" * 20_000  # larger than a pipe's atomic write and an I/O buffer

    def score() -> None:
        for _ in range(25):
            wrapper.run(payload)

    threads = [threading.Thread(target=score) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = _lines(data_file)
    assert len(lines) == 200
    assert all(_record(line)["response"] == payload.upper() for line in lines)


def test_processes_append_whole_lines_with_the_standard_library_only(tmp_path: Path) -> None:
    entry = _write(tmp_path / "score.py", DATA_PARAMETER_SCRIPT)
    data_file = tmp_path / "data.jsonl"
    driver = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('collect', {str(COLLECT)!r})\n"
        "wrapper = importlib.util.module_from_spec(spec); spec.loader.exec_module(wrapper)\n"
        "assert not [p for p in sys.path if 'site-packages' in p], sys.path\n"
        "for _ in range(50):\n"
        "    wrapper.run(sys.argv[1] * 20000)\n"
    )
    env = {
        "MODEL_ENDPOINTS_ENTRY_SCRIPT": str(entry),
        "MODEL_ENDPOINTS_VERSION": "blue",
        "MODEL_ENDPOINTS_MODEL_DATA_FILE": str(data_file),
    }
    # -I -S: no site-packages at all, so the wrapper runs where only the standard library is.
    workers = [
        subprocess.Popen([sys.executable, "-I", "-S", "-c", driver, letter], env=env, stderr=subprocess.PIPE)
        for letter in "abcd"
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err.decode()
    lines = _lines(data_file)
    assert len(lines) == 200
    assert sorted(_record(line)["request"][0] for line in lines) == sorted("abcd" * 50)


def test_wrapper_refuses_missing_settings_and_itself(
    load_wrapper: Callable[..., types.ModuleType], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = _write(tmp_path / "score.py", DATA_PARAMETER_SCRIPT)
    with pytest.raises(RuntimeError, match="MODEL_ENDPOINTS_VERSION is not set"):
        load_wrapper(entry, version="")
    with pytest.raises(RuntimeError, match="names the wrapper itself"):
        load_wrapper(COLLECT)
    with pytest.raises(RuntimeError, match="no such file"):
        load_wrapper(tmp_path / "missing.py")
    with pytest.raises(RuntimeError, match="its directory does not exist"):
        load_wrapper(entry, data_file=tmp_path / "nowhere" / "data.jsonl")
    star = _write(tmp_path / "star.py", "def init():\n    pass\n\ndef run(*args):\n    pass\n")
    with pytest.raises(RuntimeError, match=r"\*args"):
        load_wrapper(star)


def _run_in_server_venv(python: Path, tmp_path: Path, script: str, driver: str) -> dict[str, Any]:
    entry = _write(tmp_path / "score.py", script)
    data_file = tmp_path / "data.jsonl"
    env = {
        "MODEL_ENDPOINTS_ENTRY_SCRIPT": str(entry),
        "MODEL_ENDPOINTS_VERSION": "blue",
        "MODEL_ENDPOINTS_MODEL_DATA_FILE": str(data_file),
    }
    prelude = (
        "import importlib.util, json\n"
        f"spec = importlib.util.spec_from_file_location('entry_module', {str(COLLECT)!r})\n"
        "def load():\n"
        "    wrapper = importlib.util.module_from_spec(spec); spec.loader.exec_module(wrapper)\n"
        "    return wrapper\n"
    )
    done = subprocess.run(
        [str(python), "-c", prelude + textwrap.dedent(driver)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return {"out": json.loads(done.stdout), "lines": _lines(data_file) if data_file.exists() else []}


def test_input_schema_decorated_run_is_refused_with_the_fix(azmlinfsrv_python: Path, tmp_path: Path) -> None:
    script = """
        from inference_schema.schema_decorators import input_schema
        from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType

        def init():
            pass

        @input_schema("data", StandardPythonParameterType([1.0]))
        def run(data):
            return data
    """
    driver = """
        try:
            load()
        except Exception as error:
            print(json.dumps({"type": type(error).__name__, "message": str(error)}))
    """
    out = _run_in_server_venv(azmlinfsrv_python, tmp_path, script, driver)["out"]
    assert out["type"] == "CollectionSetupError"
    assert "@input_schema" in out["message"] and "turn collect_model_data off" in out["message"]


def test_rawhttp_run_gets_the_flask_request_and_its_response_is_recorded(
    azmlinfsrv_python: Path, tmp_path: Path
) -> None:
    script = """
        from azureml_inference_server_http.api.aml_request import rawhttp
        from azureml_inference_server_http.api.aml_response import AMLResponse

        def init():
            pass

        @rawhttp
        def run(request):
            return AMLResponse({"length": len(request.get_json()["rows"])}, 201, json_str=True)
    """
    driver = """
        from werkzeug.test import EnvironBuilder
        from azureml_inference_server_http.server.user_script import UserScript
        user_script = UserScript()
        user_script._user_run = load().run  # the server's own analysis of the wrapper's run()
        user_script._analyze_run()
        request = EnvironBuilder(method="POST", json={"rows": [1, 2, 3]}).get_request()
        response = user_script._wrapped_user_run(
            **user_script.input_parser(request), request_headers=dict(request.headers)
        )
        print(json.dumps({"parser": type(user_script.input_parser).__name__,
                          "status": response.status_code, "body": response.get_json()}))
    """
    result = _run_in_server_venv(azmlinfsrv_python, tmp_path, script, driver)
    assert result["out"] == {"parser": "RawRequestInput", "status": 201, "body": {"length": 3}}
    (line,) = result["lines"]
    assert _record(line) == {
        "version": "blue",
        "request": {"rows": [1, 2, 3]},
        "response": {"status_code": 201, "body": {"length": 3}},
        "error": None,
    }
