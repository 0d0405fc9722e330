"""Fetch one model with KServe's storage package: `python storage_download.py <uri> <out_dir>`.

Run by file path with the Python of the storage virtualenv (`local_runtime.model_storage`), where
`kserve-storage` is installed and this project is not: standard library plus that package. It
calls what the storage-initializer image's entrypoint calls, `Storage.download_files`, so a model
is fetched locally by the same code that fetches it in a cluster, and exits 1 with the package's
message on a failure.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    """Download `argv[0]` into the directory `argv[1]`."""
    if len(argv) != 2:
        print("usage: storage_download.py <uri> <out_dir>", file=sys.stderr)
        return 2
    from kserve_storage import Storage

    try:
        Storage.download_files([argv[0]], [argv[1]])
    except Exception as error:  # noqa: BLE001 - every failure is reported the same way
        print(f"fetching {argv[0]} failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
