"""The kubelet-style writer and the agent's reader: the layout a ConfigMap volume has, an atomic
swap of `..data`, the old generation removed, and a reader that never mixes two generations."""

from __future__ import annotations

import os
import re
import stat
import threading
import time
from pathlib import Path

import pytest

from router_agent.routing_dir import (
    DATA_LINK,
    data_target,
    read_generation,
    routing_files,
    write_generation,
)

TIMESTAMPED = re.compile(r"^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\w+$")


def test_the_layout_is_kubelets(tmp_path: Path) -> None:
    directory = tmp_path / "routing"
    target = write_generation(directory, routing_files("0:9999 be_v1\n", 1))
    assert TIMESTAMPED.match(target), target
    assert os.readlink(directory / DATA_LINK) == target  # relative, as kubelet's
    assert os.readlink(directory / "split.map") == "..data/split.map"
    assert os.readlink(directory / "revision") == "..data/revision"
    assert (directory / "split.map").read_text() == "0:9999 be_v1\n"
    assert (directory / "revision").read_text() == "1\n"
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [DATA_LINK, target, "split.map", "revision"]
    )
    assert stat.S_IMODE((directory / target / "split.map").stat().st_mode) == 0o644
    assert stat.S_IMODE((directory / target).stat().st_mode) == 0o755


def test_a_change_is_a_new_generation_and_the_old_one_goes(tmp_path: Path) -> None:
    first = write_generation(tmp_path, routing_files("0:9999 be_v1\n", 1), file_mode=0o600)
    second = write_generation(tmp_path, routing_files("0:9999 be_v2\n", 2), file_mode=0o600)
    assert second != first and data_target(tmp_path) == second
    assert not (tmp_path / first).exists()
    assert (tmp_path / "split.map").read_text() == "0:9999 be_v2\n"
    assert stat.S_IMODE((tmp_path / second / "revision").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / second).stat().st_mode) == 0o700
    # the same content again writes nothing, as kubelet does
    assert write_generation(tmp_path, routing_files("0:9999 be_v2\n", 2)) == second


def test_a_file_the_new_generation_lacks_loses_its_link(tmp_path: Path) -> None:
    write_generation(tmp_path, {"split.map": "a\n", "extra": "b\n"})
    write_generation(tmp_path, {"split.map": "c\n"})
    assert not os.path.lexists(tmp_path / "extra")
    assert (tmp_path / "split.map").read_text() == "c\n"


def test_a_writer_stopped_half_way_does_not_block_the_next(tmp_path: Path) -> None:
    write_generation(tmp_path, routing_files("x\n", 1))
    os.symlink("..gone", tmp_path / "..data_tmp")  # left between its symlink and its rename
    write_generation(tmp_path, routing_files("y\n", 2))
    assert (tmp_path / "revision").read_text() == "2\n"
    assert not os.path.lexists(tmp_path / "..data_tmp")


@pytest.mark.parametrize("name", ["", "..data", "..x", "a/b", ".", ".."])
def test_names_kubelet_reserves_or_refuses_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="not allowed in a routing directory"):
        write_generation(tmp_path, {name: "x"})


@pytest.mark.parametrize("revision", [-1, True, 1.0, "1"])
def test_a_revision_is_a_non_negative_integer(revision: object) -> None:
    with pytest.raises(ValueError, match="is not a non-negative integer"):
        routing_files("x", revision)  # type: ignore[arg-type]


def test_reading_before_any_table_says_so(tmp_path: Path) -> None:
    assert data_target(tmp_path) is None
    with pytest.raises(FileNotFoundError, match="no ..data link"):
        read_generation(tmp_path, ["split.map"])


def test_a_reader_never_mixes_two_generations(tmp_path: Path) -> None:
    """While a writer swaps 300 generations, 1 ms apart (kubelet takes seconds), every read holds
    one generation's two files."""
    write_generation(tmp_path, routing_files("0\n", 0))
    done = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for revision in range(1, 301):
                write_generation(tmp_path, routing_files(f"{revision}\n", revision))
                time.sleep(0.001)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    reads = 0
    try:
        while not done.is_set():
            generation = read_generation(tmp_path, ["split.map", "revision"])
            assert generation.files["split.map"] == generation.files["revision"]
            reads += 1
    finally:
        thread.join(timeout=30)
    assert errors == [] and reads > 0
    assert read_generation(tmp_path, ["revision"]).files["revision"] == "300\n"
    assert len([p for p in tmp_path.iterdir() if TIMESTAMPED.match(p.name)]) == 1
