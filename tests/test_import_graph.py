"""The project's import graph, read from the code's own import statements, has no cycle.

Every `import` and `from ... import` in the project's packages counts, also those inside functions
(a lazy import is still a dependency), so a cycle cannot hide behind `TYPE_CHECKING`, a lazy
`__getattr__` or an import moved into a function. Two levels are checked: modules (what Python
executes) and top-level packages (the layers of DESIGN.md, which import downwards only).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "router_agent",
    "specification",
    "rollout",
    "credentials",
    "kube_adapter",
    "router",
    "provider",
    "components",
    "local_runtime",
    "scoring",
    "offline",
    "review",
    "cli",
)
# The layers, lowest first: a package may import only packages listed before it.
LAYERS = {
    "router_agent": 0,
    "specification": 0,
    "rollout": 1,
    "credentials": 1,
    "kube_adapter": 1,
    "router": 1,
    "scoring": 1,
    "provider": 2,
    "review": 2,
    "components": 3,
    "local_runtime": 3,
    "offline": 4,
    "cli": 5,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    """`{dotted module name: file}` for every module of the project's packages."""
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            modules[_module_name(path)] = path
    return modules


def _resolve(name: str, modules: Mapping[str, Path]) -> str | None:
    """The project module an imported dotted name refers to (its longest known prefix)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def imports_of(module: str, path: Path, modules: Mapping[str, Path]) -> set[str]:
    """The project modules `module` imports (anywhere in its body)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: Iterable[str] = ()
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import mod` imports the module pkg.mod when there is one, else pkg
            names = [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            target = _resolve(name, modules)
            if target is not None and target != module:
                found.add(target)
    return found


def module_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {module: imports_of(module, path, modules) for module, path in modules.items()}


def package_graph(modules: Mapping[str, set[str]]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {package: set() for package in PACKAGES}
    for module, targets in modules.items():
        source = module.split(".")[0]
        graph[source] |= {target.split(".")[0] for target in targets} - {source}
    return graph


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One cycle of `graph` as a path `[a, b, ..., a]`, or None if it has none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle is not None:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle is not None:
                return cycle
    return None


def test_no_module_imports_in_a_cycle() -> None:
    cycle = find_cycle(module_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_package_imports_in_a_cycle() -> None:
    cycle = find_cycle(package_graph(module_graph()))
    assert cycle is None, "package import cycle: " + " -> ".join(cycle or [])


def test_packages_import_downwards_only() -> None:
    upward = sorted(
        f"{source} imports {target}"
        for source, targets in package_graph(module_graph()).items()
        for target in targets
        if LAYERS[target] >= LAYERS[source]
    )
    assert upward == []


def test_local_mode_and_the_command_line_need_no_pulumi_layer() -> None:
    """Local mode and the CLI take credentials from `credentials`, never from the dynamic
    providers, so neither drags in Pulumi's layers (nor can a provider's state module leak in)."""
    packages = package_graph(module_graph())
    assert packages["local_runtime"] & {"provider", "components"} == set()
    assert "provider" not in packages["cli"]


@pytest.mark.parametrize("package", ["credentials", "rollout", "review"])
def test_pure_packages_import_no_pulumi(package: str) -> None:
    """Credentials and the rollout planner run in local mode and the CLI as well as in providers;
    the review runs in a pull request's CI, where there is no Pulumi CLI to talk to."""
    for module, path in project_modules().items():
        if module.split(".")[0] != package:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(name.split(".")[0] == "pulumi" for name in names), module


def test_the_rollout_package_imports_only_the_standard_library_and_the_specification() -> None:
    """The step engine and its readers are pure logic and urllib: local mode, the CLI and the
    providers all run them, and a cluster or a test plugs its I/O in through protocols."""
    allowed = set(sys.stdlib_module_names) | {"rollout", "specification", "__future__"}
    for module, path in project_modules().items():
        if module.split(".")[0] != "rollout":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{module} imports {name}"


def test_the_specification_imports_neither_pulumi_nor_other_packages() -> None:
    modules = project_modules()
    for module, path in modules.items():
        if not module.startswith("specification"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert not name.startswith("pulumi"), f"{module} imports {name}"


def test_no_import_hides_behind_type_checking_or_a_lazy_getattr() -> None:
    for module, path in project_modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                pytest.fail(f"{module}: an import under TYPE_CHECKING")
            if isinstance(node, ast.FunctionDef) and node.name == "__getattr__" and module in PACKAGES:
                pytest.fail(f"{module}: a lazy module __getattr__")


@pytest.mark.parametrize(
    "graph, cycle",
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"a"}}, ["a", "a"]),
    ],
)
def test_find_cycle_finds_a_cycle_and_only_a_cycle(
    graph: dict[str, set[str]], cycle: list[str] | None
) -> None:
    assert find_cycle(graph) == cycle


def test_a_cycle_written_into_the_code_is_found(tmp_path: Path) -> None:
    """The reader sees imports inside functions and relative imports."""
    modules = {"p": tmp_path / "p.py", "p.a": tmp_path / "a.py", "p.b": tmp_path / "b.py"}
    modules["p.a"].write_text("def f():\n    from p.b import g\n", encoding="utf-8")
    modules["p.b"].write_text("from . import a\n", encoding="utf-8")
    graph = {name: imports_of(name, path, modules) for name, path in modules.items() if name != "p"}
    assert graph == {"p.a": {"p.b"}, "p.b": {"p.a"}}
    assert find_cycle(graph) == ["p.a", "p.b", "p.a"]
