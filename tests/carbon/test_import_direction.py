"""Import direction around the carbon package: usage reads the carbon files, the report
command sits above both, the shared run state depends on no hook."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.paths import KEDRO_PROJECT

PACKAGE = KEDRO_PROJECT / "src" / "data_collection_kedro"


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at any level (function-level imports included)."""
    found: set[str] = set()
    for tree_node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(tree_node, ast.Import):
            found.update(alias.name for alias in tree_node.names)
        elif isinstance(tree_node, ast.ImportFrom) and tree_node.module:
            found.add(tree_node.module)
    return found


def _offenders(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(PACKAGE)} imports {module}"
        for path in files
        for module in sorted(_imports(path))
        if module.startswith(forbidden)
    ]


def test_carbon_never_imports_usage_or_the_report() -> None:
    files = sorted((PACKAGE / "carbon").rglob("*.py"))
    assert files
    assert not _offenders(files, ("data_collection_kedro.usage", "data_collection_kedro.reporting"))


def test_the_run_state_depends_on_no_hook() -> None:
    forbidden = (
        "data_collection_kedro.carbon",
        "data_collection_kedro.tracking",
        "data_collection_kedro.run_summary",
        "data_collection_kedro.hooks",
        "kedro",
    )
    assert not _offenders([PACKAGE / "run_context.py"], forbidden)


def test_codecarbon_is_imported_by_the_adapter_only() -> None:
    files = [p for p in PACKAGE.rglob("*.py") if p.name != "codecarbon_adapter.py"]
    assert not _offenders(files, ("codecarbon",))
