"""Fixtures of the model tests: one real run of the whole chain on the small sample.

``model_chain`` runs ``etl_pipeline`` → ``data_fusion_pipeline`` → ``anomaly_detection`` →
``clustering`` → ``forecasting`` through KedroSession once per module (the runs take about a
minute on two cores), with small model sizes passed as runtime parameters, into a temporary
``ENERGIEWATCH_DATA_DIR`` (DuckDB store, MLflow SQLite database, carbon files).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import KEDRO_PROJECT
from tests.support.sample import OPERATIONAL_MODELS, SMALL_MODELS

__all__ = ["OPERATIONAL_MODELS", "SMALL_MODELS", "ChainRun"]


@dataclass
class ChainRun:
    data_dir: Path
    tracking_uri: str
    params: dict[str, Any]
    # MLflow's process-wide URIs before and after the runs (the hook must leave them unchanged)
    mlflow_state: tuple[tuple[str | None, ...], tuple[str | None, ...]] = ((), ())

    def table(self, name: str) -> Any:
        from data_collection_kedro.datasets import DuckDBTableDataset

        return DuckDBTableDataset(
            database=str(self.data_dir / "energiewatch.duckdb"), table=name
        ).load()


def run_session(pipeline: str, params: dict[str, Any], env: str | None = None) -> dict[str, Any]:
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(KEDRO_PROJECT)
    with KedroSession.create(project_path=KEDRO_PROJECT, env=env, runtime_params=params) as s:
        return s.run(pipeline_names=[pipeline])


@pytest.fixture(scope="module")
def model_chain(
    small_sample_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ChainRun]:
    from data_collection_kedro.tracking.models import mlflow_process_state

    data_dir = tmp_path_factory.mktemp("models") / "data"
    shutil.copytree(small_sample_dir, data_dir / "01_raw" / "sample")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ENERGIEWATCH_DATA_DIR", str(data_dir))
        for var in ("ENERGIEWATCH_DUCKDB", "ENERGIEWATCH_CARBON_DIR", "MLFLOW_TRACKING_URI"):
            mp.delenv(var, raising=False)
        mp.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "false")  # nothing is pickled
        mp.chdir(KEDRO_PROJECT)
        before = mlflow_process_state()
        for pipeline in (
            "etl_pipeline",
            "data_fusion_pipeline",
            "anomaly_detection",
            "clustering",
            "forecasting",
        ):
            run_session(pipeline, SMALL_MODELS)
        yield ChainRun(
            data_dir=data_dir,
            tracking_uri=f"sqlite:///{data_dir}/mlflow.db",
            params=dict(SMALL_MODELS),
            mlflow_state=(before, mlflow_process_state()),
        )
