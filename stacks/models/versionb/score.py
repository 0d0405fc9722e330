"""Scoring script of the example's versionb: a fraud classifier read from AZUREML_MODEL_DIR.

Azure ML's inference server calls `init()` once and `run(raw_data)` per request. The model is
`model.safetensors` (made by `stacks/models/train_demo_models.py`): float32 tensors `weights`
and `bias` of a logistic regression, read with the standard library. The score of a row is the
probability that it is fraud.
"""

import json
import math
import os
import struct

WEIGHTS: list[float] = []
BIAS = 0.0


def load_safetensors(path: str) -> dict[str, list[float]]:
    """The float32 tensors of a safetensors file, by name."""
    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(length))
        data = handle.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} is {entry['dtype']}, not F32")
        start, end = entry["data_offsets"]
        tensors[name] = list(struct.unpack(f"<{(end - start) // 4}f", data[start:end]))
    return tensors


def init() -> None:
    global WEIGHTS, BIAS
    tensors = load_safetensors(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.safetensors"))
    WEIGHTS, BIAS = tensors["weights"], tensors["bias"][0]


def run(raw_data: str) -> dict:
    rows = json.loads(raw_data)["data"]
    logits = [sum(w * x for w, x in zip(WEIGHTS, row)) + BIAS for row in rows]
    scores = [round(1.0 / (1.0 + math.exp(-logit)), 6) for logit in logits]
    return {"version": "versionb", "scores": scores}
