"""With ``mlflow.tracking_process: false`` (tracking in the run's process), the MLflow hook
imports MLflow's client and stores while a run with models does its first nodes (seconds of
imports off the first model's path), and only for such runs."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from kedro.pipeline import Node, Pipeline

from data_collection_kedro.tracking import mlflow_hook
from data_collection_kedro.tracking.mlflow_hook import MlflowTrackingHook

PROBE = "colorsys"  # a standard-library module nothing in the test process has imported


def _identity(x: int) -> int:
    return x


def _hook(tmp_path: Path, enabled: bool = True) -> MlflowTrackingHook:
    hook = MlflowTrackingHook()
    config = {
        "tracking_uri": f"sqlite:///{tmp_path}/mlflow.db",
        "enabled": enabled,
        "tracking_process": False,  # tracking in the run's process (test_tracking_process.py)
    }
    hook.after_context_created(SimpleNamespace(project_path=tmp_path, params={"mlflow": config}))
    return hook


def _run(hook: MlflowTrackingHook, tags: list[str]) -> bool:
    """Whether ``before_pipeline_run`` imported the probe module (in its thread)."""
    pipeline = Pipeline([Node(_identity, "x", "y", name="n", tags=tags)])
    hook.before_pipeline_run(run_params={"run_id": "r"}, pipeline=pipeline, catalog=None)
    for thread in threading.enumerate():
        if thread.name == "mlflow-import":
            thread.join(timeout=30)
    return PROBE in sys.modules


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, PROBE, raising=False)
    monkeypatch.setattr(mlflow_hook, "MLFLOW_MODULES", (PROBE,))


@pytest.mark.usefixtures("probe")
def test_a_run_with_models_imports_mlflow_in_the_background(tmp_path: Path) -> None:
    assert _run(_hook(tmp_path), ["forecasting", mlflow_hook.MODEL_TAG])


@pytest.mark.usefixtures("probe")
def test_a_run_without_models_or_tracking_imports_nothing(tmp_path: Path) -> None:
    assert not _run(_hook(tmp_path), ["etl"])
    assert not _run(_hook(tmp_path, enabled=False), [mlflow_hook.MODEL_TAG])
