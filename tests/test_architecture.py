"""The layers of docs/architecture.md, read from the source: only the pipeline registry imports
``pipelines/``, and no module imports itself back through others (every import counts, also
those inside functions or under ``TYPE_CHECKING``)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.support.paths import KEDRO_PROJECT, REPO_ROOT

PACKAGE_ROOT = KEDRO_PROJECT / "src"
# cycles known and tracked in issue #11 (remove an entry when its cycle is gone; a new cycle fails)
KNOWN_CYCLES: set[frozenset[str]] = set()
PIPELINES = "data_collection_kedro.pipelines"
REGISTRY = "data_collection_kedro.pipeline_registry"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    files = [
        (path, PACKAGE_ROOT) for path in (PACKAGE_ROOT / "data_collection_kedro").rglob("*.py")
    ]
    files += [(path, REPO_ROOT) for path in (REPO_ROOT / "dashboard_ui").rglob("*.py")]
    return {_module_name(path, root): path for path, root in files}


def _imports(path: Path, module: str) -> Iterator[str]:
    """Absolute names of everything ``path`` imports (``from a import b`` yields ``a.b``)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = {_resolve(name, modules) for name in _imports(path, module)}
        graph[module] = {t for t in targets if t and t != module}
    return graph


def test_only_the_pipeline_registry_imports_pipelines() -> None:
    importers = []
    folders = [
        PACKAGE_ROOT / "data_collection_kedro",
        *(REPO_ROOT / d for d in ("dashboard_ui", "scripts", "benchmarks", "dags")),
    ]
    for folder in folders:
        for path in folder.rglob("*.py"):
            root = PACKAGE_ROOT if folder.is_relative_to(PACKAGE_ROOT) else REPO_ROOT
            module = _module_name(path, root)
            if module.startswith(f"{PIPELINES}.") or module in (PIPELINES, REGISTRY):
                continue
            if any(name.startswith(PIPELINES) for name in _imports(path, module)):
                importers.append(str(path.relative_to(REPO_ROOT)))
    assert importers == [], f"import the domain/modeling rule instead: {importers}"


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle met by a depth-first walk of ``graph`` (module -> imported modules)."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    return cycles


def test_no_import_cycles() -> None:
    cycles = [c for c in find_cycles(_graph()) if frozenset(c) not in KNOWN_CYCLES]
    assert cycles == [], "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_the_cycle_check_finds_cycles_through_any_import() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []
    graph = _graph()  # imports inside functions and under TYPE_CHECKING are edges too
    assert (
        "data_collection_kedro.monitoring.store"
        in graph["data_collection_kedro.monitoring.records"]
    )
