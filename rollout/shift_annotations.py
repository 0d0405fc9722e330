"""The record of a shift driven from outside the cluster, as two annotations of the endpoint's
routing ConfigMap: what the TrafficSplit writes while `up` walks a shift, and what `describe`
reads back (any time later, from anywhere).

- `SHIFT_ANNOTATION`: `{"progress": ShiftProgress, "deadline_at": ISO 8601}` while a shift runs,
  removed when it ends. `deadline_at` is the engine's own deadline plus its rollback time: a
  record still there after it was left by an `up` that was killed, and reads as a failed shift.
- `LAST_FAILURE_ANNOTATION`: the last shift's `LastFailure`, removed when a later shift completes.

Pure JSON over plain mappings; the writing is `provider.shift_annotations`, the reading
`cli.stack_endpoint_status`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from rollout.shift_progress import LastFailure, ShiftProgress

__all__ = [
    "LAST_FAILURE_ANNOTATION",
    "SHIFT_ANNOTATION",
    "failure_annotation",
    "read_shift_annotations",
    "shift_annotation",
]

SHIFT_ANNOTATION = "model-endpoints.io/shift"
LAST_FAILURE_ANNOTATION = "model-endpoints.io/last-shift-failure"


def _stale_failure(progress: ShiftProgress, deadline_at: str) -> LastFailure:
    return LastFailure(
        reason=(
            f"a traffic shift stopped at step {progress.step} of {progress.step_count} without "
            f"completing or rolling back: the `pulumi up` walking it ended before its deadline "
            f"({deadline_at}); the routers serve the last table written (revision "
            f"{progress.revision}). Run `pulumi up` again: it walks from the live table"
        ),
        at=deadline_at,
        outcome="failed",
    )


def shift_annotation(progress: ShiftProgress, deadline_at: str) -> str:
    """The value of `SHIFT_ANNOTATION` for a shift in flight."""
    return json.dumps({"progress": progress.to_json(), "deadline_at": deadline_at}, sort_keys=True)


def failure_annotation(failure: LastFailure) -> str:
    """The value of `LAST_FAILURE_ANNOTATION`."""
    return json.dumps(failure.to_json(), sort_keys=True)


def read_shift_annotations(
    annotations: Mapping[str, str], now: datetime
) -> tuple[ShiftProgress | None, LastFailure | None]:
    """The shift in flight and the last failure the annotations record (None for either when
    absent or unreadable). A shift record past its deadline at `now` is returned as a failure."""
    failure: LastFailure | None = None
    text = annotations.get(LAST_FAILURE_ANNOTATION)
    if text:
        try:
            failure = LastFailure.from_json(json.loads(text))
        except ValueError:
            failure = None
    text = annotations.get(SHIFT_ANNOTATION)
    if not text:
        return None, failure
    try:
        record = json.loads(text)
        progress = ShiftProgress.from_json(record.get("progress"))
        deadline_at = str(record.get("deadline_at"))
        deadline = datetime.fromisoformat(deadline_at)
    except (ValueError, AttributeError, TypeError):
        return None, failure
    if now > deadline:
        return None, _stale_failure(progress, deadline_at)
    return progress, failure
