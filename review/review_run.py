"""A whole review: each stack's config read at the base ref and in the working tree, compared.

The glue between git (`git_source`) and the pure comparison (`stack_review`): a config that is
not YAML, or has no `config:` map, is reported as the new config's error (the preview would fail
the same way) or, at the base, as an unreadable base.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from review.git_source import ReviewSourceError, StackFiles, config_text_at, stacks_at
from review.report import ReviewReport, StackReview
from review.stack_review import Config, review_stack
from specification.stack_config import StackConfigError, parse_stack_config

__all__ = ["review_one", "review_stacks"]


def _parsed(text: str | None, source: str) -> tuple[Config | None, str | None]:
    if text is None:
        return None, None
    try:
        return parse_stack_config(text, source), None
    except StackConfigError as error:
        return None, str(error)


def review_one(files: StackFiles, base_ref: str, stack: str) -> StackReview:
    """The review of one stack; ReviewSourceError when it has a config neither here nor there."""
    path = files.path(stack)
    base, base_error = _parsed(config_text_at(files.repository, base_ref, path), f"{base_ref}:{path}")
    head_text = files.working_text(stack)
    if head_text is None and base is None and base_error is None:
        raise ReviewSourceError(f"stack {stack!r} has no config {path}, neither here nor at {base_ref}")
    head, head_error = _parsed(head_text, path)
    if head_error is not None:
        return StackReview(stack, path, errors=(head_error,))
    review = review_stack(stack, path, base if base_error is None else {}, head)
    if base_error is not None:
        note = f"the config at the base cannot be read ({base_error}): everything is shown as added"
        return replace(review, base_note=note)
    return review


def review_stacks(files: StackFiles, base_ref: str, stacks: Sequence[str] = ()) -> ReviewReport:
    """The review of `stacks` (default: every stack with a config here or at `base_ref`)."""
    names = list(stacks) or stacks_at(files, base_ref)
    return ReviewReport(base_ref, tuple(review_one(files, base_ref, name) for name in names))
