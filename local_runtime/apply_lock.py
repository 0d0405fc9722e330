"""One `local apply` at a time per run: an exclusive `flock` on the run's `apply.lock`.

Two shifts walking the same routers would each write tables the other does not expect (the routing
directory has one writer, as a ConfigMap has one in a cluster). The kernel releases the lock when
its process dies, however it dies, so a killed `local apply` never leaves a stale lock: the next
one gets it and finds the shift record the dead one left behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator

from local_runtime.errors import LocalRunError
from local_runtime.private_files import FILE_MODE
from local_runtime.run_directory import RunLayout

__all__ = ["ApplyInProgressError", "apply_lock"]


class ApplyInProgressError(LocalRunError):
    """Another `local apply` of the same run holds the lock."""


@contextlib.contextmanager
def apply_lock(layout: RunLayout, stack: str) -> Iterator[None]:
    """Hold the run's apply lock while the block runs; ApplyInProgressError, naming the holder's
    pid, when another process holds it."""
    descriptor = os.open(layout.apply_lock, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip() or "unknown"
            raise ApplyInProgressError(
                f"another `model-endpoints local apply` of stack {stack} is running (pid "
                f"{holder}); wait until it ends, or interrupt it (Ctrl-C rolls its shift back)"
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)
