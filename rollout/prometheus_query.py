"""A `PromQuery` over Prometheus's HTTP API: instant queries with urllib, for PromQL alarms.

`GET <prometheus_url>/api/v1/query?query=<expression>`. A scalar result is its value; an instant
vector with one series is that series' value, with none it is None (no data: the alarm is not
judged). More than one series, a range or string result, or an error answer raise
`PromQueryError` with Prometheus's own message, so a wrong expression shows in the alarm's
readings instead of passing silently.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

__all__ = ["PromQueryError", "PrometheusQuery", "parse_query_response"]


class PromQueryError(RuntimeError):
    """A query Prometheus refused or answered with something other than one value."""


def parse_query_response(body: bytes, expression: str) -> float | None:
    """The value of an instant query's JSON answer (see the module docstring)."""
    try:
        answer: Any = json.loads(body)
    except ValueError:
        raise PromQueryError(
            f"not a Prometheus API answer for {expression!r}: {body[:200]!r}"
        ) from None
    if not isinstance(answer, dict) or answer.get("status") != "success":
        error = answer.get("error", answer) if isinstance(answer, dict) else answer
        raise PromQueryError(f"Prometheus refused {expression!r}: {error}")
    data: Any = answer.get("data") or {}
    kind, result = data.get("resultType"), data.get("result")
    try:
        return _one_value(kind, result, expression)
    except (LookupError, TypeError, ValueError) as error:
        raise PromQueryError(
            f"malformed {kind} result for {expression!r}: {type(error).__name__}: {error}"
        ) from None


def _one_value(kind: Any, result: Any, expression: str) -> float | None:
    if kind == "scalar":
        return float(result[1])
    if kind == "vector":
        if not result:
            return None
        if len(result) > 1:
            series = ", ".join(
                json.dumps(item.get("metric", {}), sort_keys=True) for item in result[:3]
            )
            raise PromQueryError(
                f"{expression!r} gave {len(result)} series ({series}, ...); an alarm needs one "
                "value: aggregate it, e.g. sum(...) or max(...)"
            )
        return float(result[0]["value"][1])
    raise PromQueryError(
        f"{expression!r} gave a {kind} result; an alarm needs a scalar or an instant vector"
    )


class PrometheusQuery:
    """Instant queries against `base_url` (the endpoint's `prometheus_url`). `opener` is urllib's
    `urlopen` unless a caller routes requests another way (a proxy, the API server)."""

    def __init__(
        self,
        base_url: str,
        timeout: float = 10.0,
        opener: Callable[..., Any] = urllib.request.urlopen,
    ) -> None:
        scheme = urllib.parse.urlsplit(base_url).scheme
        if scheme not in ("http", "https"):
            raise ValueError(f"prometheus_url must be an http(s) URL, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._open = opener

    def url(self, expression: str) -> str:
        return f"{self.base_url}/api/v1/query?{urllib.parse.urlencode({'query': expression})}"

    def value(self, expression: str) -> float | None:
        """The expression's value now, or None when it has no result."""
        try:
            with self._open(self.url(expression), timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            # 400/422 carry Prometheus's own JSON error (a bad expression, a failed evaluation)
            raise PromQueryError(
                f"Prometheus answered HTTP {error.code} to {expression!r}: {_error_text(error)}"
            ) from None
        return parse_query_response(body, expression)


def _error_text(error: urllib.error.HTTPError) -> str:
    body = error.read()
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if isinstance(answer, dict) and answer.get("error"):
        return str(answer["error"])
    return repr(body[:200])
