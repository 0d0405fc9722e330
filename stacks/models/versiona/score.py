"""Scoring script of the example's versiona: a linear model whose weights ship with the file.

Azure ML's inference server calls `init()` once and `run(raw_data)` per request.
"""

import json

WEIGHTS: list[float] = []
BIAS = 0.0


def init() -> None:
    global WEIGHTS, BIAS
    WEIGHTS, BIAS = [0.5, -0.25, 1.0], 0.1


def run(raw_data: str) -> dict:
    rows = json.loads(raw_data)["data"]
    scores = [round(sum(w * x for w, x in zip(WEIGHTS, row)) + BIAS, 6) for row in rows]
    return {"version": "versiona", "scores": scores}
