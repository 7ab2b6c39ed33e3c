"""Shared fixtures.

Every test runs offline against temporary folders: ``ENERGIEWATCH_DATA_DIR`` points at a
tmp dir, so the DuckDB store, carbon files and MLflow SQLite database of a test never touch
the developer's ``data/``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import KEDRO_PROJECT, REAL_DATA, REPO_ROOT, requires_real_data
from tests.support.sample import SMALL_SAMPLE

# fixtures of tests/support modules shared by several folders: ``mongo_server`` (SecantusDB
# in-process, or the server of MONGODB_URI) and ``mongo_database`` (a fresh database per test)
pytest_plugins = ["tests.support.fusion_frames", "tests.support.mongo_server"]

__all__ = ["KEDRO_PROJECT", "REAL_DATA", "REPO_ROOT", "requires_real_data"]

os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


@pytest.fixture(scope="session")
def small_sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample generator's files for 4 regions × 3 years (generated once per session)."""
    from data_collection_kedro.sample_data import generate

    out = tmp_path_factory.mktemp("sample") / "01_raw" / "sample"
    generate(out, **SMALL_SAMPLE)
    return out


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ENERGIEWATCH_DATA_DIR for one test."""
    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setenv("ENERGIEWATCH_DATA_DIR", str(d))
    monkeypatch.delenv("ENERGIEWATCH_DUCKDB", raising=False)
    monkeypatch.delenv("ENERGIEWATCH_CARBON_DIR", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return d


@pytest.fixture
def sample_data_dir(data_dir: Path, small_sample_dir: Path) -> Path:
    """``data_dir`` with the small sample copied to ``01_raw/sample`` (where the catalog reads it)."""
    import shutil

    target = data_dir / "01_raw" / "sample"
    shutil.copytree(small_sample_dir, target)
    return target


@pytest.fixture
def run_pipeline(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., dict[str, Any]]]:
    """Run a registered pipeline through a KedroSession, like ``kedro run --pipelines=NAME``."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    monkeypatch.chdir(KEDRO_PROJECT)
    bootstrap_project(KEDRO_PROJECT)

    def _run(
        pipeline: str | None = None,
        env: str | None = None,
        params: dict[str, Any] | None = None,
        **run_kwargs: Any,
    ) -> dict[str, Any]:
        with KedroSession.create(
            project_path=KEDRO_PROJECT, env=env, runtime_params=params or {}
        ) as session:
            return session.run(pipeline_names=[pipeline] if pipeline else None, **run_kwargs)

    yield _run
