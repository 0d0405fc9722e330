"""Train the example dev stack's models and save them as safetensors files (`make demo` runs it).

Two versions of a small fraud classifier, a logistic regression over three features, fitted by
gradient descent on a synthetic data set drawn with a fixed seed: version 1 on 400 transactions,
version 2 on 800 with an L2 penalty. Each is written as `model.safetensors` (the safetensors
format: an 8-byte little-endian header length, a JSON header, then the float32 tensors `weights`
and `bias`) under `<out>/fraud-classifier/<version>/`. Standard library only: nothing is
downloaded, and the scoring scripts read the files with what their virtualenv already has.

    python stacks/models/train_demo_models.py [--out stacks/models/artifacts]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import struct
from pathlib import Path

MODEL_NAME = "fraud-classifier"
DEFAULT_OUT = Path(__file__).resolve().parent / "artifacts"
# The pattern the synthetic labels follow (the models have to find it).
_TRUE_WEIGHTS = (0.9, -0.6, 0.7)
_TRUE_BIAS = -1.0


def synthetic_transactions(count: int, seed: int) -> list[tuple[list[float], int]]:
    """`count` rows of three features in [0, 4) and a 0/1 label drawn from the true pattern."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        features = [rng.uniform(0.0, 4.0) for _ in range(3)]
        logit = sum(w * x for w, x in zip(_TRUE_WEIGHTS, features)) + _TRUE_BIAS
        label = 1 if rng.random() < 1.0 / (1.0 + math.exp(-logit)) else 0
        rows.append((features, label))
    return rows


def train(rows: list[tuple[list[float], int]], epochs: int, l2: float) -> tuple[list[float], float]:
    """Logistic regression by full-batch gradient descent; returns (weights, bias)."""
    weights, bias, rate = [0.0, 0.0, 0.0], 0.0, 0.1
    for _ in range(epochs):
        grad_w, grad_b = [0.0, 0.0, 0.0], 0.0
        for features, label in rows:
            logit = sum(w * x for w, x in zip(weights, features)) + bias
            error = 1.0 / (1.0 + math.exp(-logit)) - label
            grad_w = [g + error * x for g, x in zip(grad_w, features)]
            grad_b += error
        weights = [w - rate * (g / len(rows) + l2 * w) for w, g in zip(weights, grad_w)]
        bias -= rate * grad_b / len(rows)
    return weights, bias


def safetensors_bytes(tensors: dict[str, list[float]], metadata: dict[str, str]) -> bytes:
    """float32 vectors in the safetensors layout, header padded to 8 bytes as the format allows."""
    header: dict[str, object] = {"__metadata__": metadata}
    data = b""
    for name, values in tensors.items():
        packed = struct.pack(f"<{len(values)}f", *values)
        header[name] = {"dtype": "F32", "shape": [len(values)], "data_offsets": [len(data), len(data) + len(packed)]}
        data += packed
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def write_model(out: Path, version: int, rows: int, seed: int, epochs: int, l2: float) -> Path:
    weights, bias = train(synthetic_transactions(rows, seed), epochs, l2)
    path = out / MODEL_NAME / str(version) / "model.safetensors"
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {"model": MODEL_NAME, "version": str(version), "rows": str(rows), "l2": str(l2)}
    path.write_bytes(safetensors_bytes({"weights": weights, "bias": [bias]}, metadata))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Where the models go.")
    out = parser.parse_args().out
    for path in (
        write_model(out, 1, rows=400, seed=1, epochs=300, l2=0.0),
        write_model(out, 2, rows=800, seed=2, epochs=300, l2=0.01),
    ):
        print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
