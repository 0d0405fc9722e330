"""The recording monitor and mock runner the other tests rely on."""

from __future__ import annotations

import subprocess
import sys

import pulumi
import pytest

from offline.program import run_under_mocks
from offline.recording import RecordedResource


def test_records_parent_dependencies_inputs_and_exports() -> None:
    class Box(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("test:index:Box", name, None, None)
            self.register_outputs({})

    def program() -> None:
        import pulumi_kubernetes as k8s

        box = Box("box")
        ns = k8s.core.v1.Namespace("ns", metadata={"name": "n"}, opts=pulumi.ResourceOptions(parent=box))
        k8s.core.v1.ConfigMap(
            "cm", metadata={"name": "c", "namespace": "n"}, data={"k": "v"},
            opts=pulumi.ResourceOptions(parent=box, depends_on=[ns]),
        )
        pulumi.export("answer", {"n": 3})

    graph = run_under_mocks(program)
    box, ns, cm = graph.named("box"), graph.named("ns"), graph.named("cm")
    assert ns.parent == box.urn and cm.parent == box.urn
    assert cm.dependencies == (ns.urn,)
    assert cm.inputs["data"] == {"k": "v"}
    assert graph.exports == {"answer": {"n": 3}}


def test_records_the_options_the_engine_receives() -> None:
    """Custom timeouts as set (only the kinds set) and the inputs changes are ignored on."""

    def program() -> None:
        import pulumi_kubernetes as k8s

        k8s.core.v1.ConfigMap(
            "timed",
            metadata={"name": "t"},
            opts=pulumi.ResourceOptions(
                custom_timeouts=pulumi.CustomTimeouts(update="900s"), ignore_changes=["data"]
            ),
        )
        k8s.core.v1.ConfigMap("plain", metadata={"name": "p"})

    graph = run_under_mocks(program)
    timed, plain = graph.named("timed"), graph.named("plain")
    assert (timed.custom_timeouts, timed.ignore_changes) == ({"update": "900s"}, ("data",))
    assert (plain.custom_timeouts, plain.ignore_changes) == ({}, ())


def test_manifest_restores_integers() -> None:
    recorded = RecordedResource("u", "t", "n", "", (), True, {"a": 3.0, "b": [1.5, 2.0]})
    assert recorded.manifest == {"a": 3, "b": [1.5, 2]}


def test_program_errors_propagate() -> None:
    def program() -> None:
        raise pulumi.RunError("bad config")

    with pytest.raises(pulumi.RunError, match="bad config"):
        run_under_mocks(program)


def test_secret_inputs_are_unwrapped_and_their_paths_recorded() -> None:
    def program() -> None:
        import pulumi_kubernetes as k8s

        k8s.core.v1.Secret(
            "s", metadata={"name": "s"}, string_data=pulumi.Output.secret({"k": "v"}), type="Opaque"
        )

    graph = run_under_mocks(program)
    secret = graph.named("s")
    assert secret.inputs["stringData"] == {"k": "v"}
    assert secret.secret_paths == ("stringData",)


def test_runs_after_asyncio_run_left_the_thread_without_a_loop() -> None:
    # in a fresh interpreter: the first run under mocks is the one that needs a loop (later
    # ones reuse the mocks' root stack), and asyncio.run leaves the main thread without one
    script = (
        "import asyncio, pulumi\n"
        "from offline.program import run_under_mocks\n"
        "asyncio.run(asyncio.sleep(0))\n"
        "print(run_under_mocks(lambda: pulumi.export('answer', 42)).exports)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "{'answer': 42}"


def test_secret_exports_are_told_from_plain_ones_leaf_by_leaf() -> None:
    def program() -> None:
        pulumi.export("plain", {"a": pulumi.Output.from_input("x")})
        pulumi.export("nested", {"secret": pulumi.Output.secret("s"), "plain": "p"})
        pulumi.export("unsecret", pulumi.Output.unsecret(pulumi.Output.secret("u")))

    graph = run_under_mocks(program)
    assert graph.secret_exports == {"nested.secret"}
    assert graph.exports["nested"] == {"secret": "s", "plain": "p"}
