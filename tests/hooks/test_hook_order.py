"""The MLflow hook gets the carbon hook's measurements whatever order Kedro calls them in.

The two hooks share one run registry; the MLflow hook logs a model's training energy once the
carbon hook settled the run, before or after its own ``after_pipeline_run``. Both orders run a
real one-node pipeline through Kedro's runner with a real tracker and a real MLflow store.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pluggy
import pytest
from kedro.framework.hooks import hook_impl, specs
from kedro.framework.hooks.markers import HOOK_NAMESPACE
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline, node
from kedro.runner import SequentialRunner

from data_collection_kedro.carbon import files
from data_collection_kedro.carbon.hook import CarbonTrackingHook
from data_collection_kedro.modeling.artifacts import ModelArtifact, pinned_requirements
from data_collection_kedro.run_context import RunRegistry, run_key
from data_collection_kedro.tracking.mlflow_hook import MlflowTrackingHook


def train_toy(frame: pd.DataFrame) -> ModelArtifact:
    from sklearn.dummy import DummyRegressor

    model = DummyRegressor(strategy="constant", constant=1.0).fit(frame, [0.0] * len(frame))
    return ModelArtifact(
        model_key="toy",
        registered_name="",  # not registered: the test is about the carbon metrics
        model=model,
        input_columns=["x"],
        input_example=frame,
        params={},
        validation_metrics={"mape": 1.0},
        pip_requirements=pinned_requirements("scikit-learn"),
    )


class SpyMlflowHook(MlflowTrackingHook):
    """Notes whether the run's energy was settled when its after_pipeline_run began."""

    def __init__(self, runs: RunRegistry) -> None:
        super().__init__(runs)
        self.settled_at_its_end: list[bool] = []

    @hook_impl
    def after_pipeline_run(self, run_params: dict[str, Any]) -> None:
        self.settled_at_its_end.append(self.runs.run(run_key(run_params)).energy is not None)
        super().after_pipeline_run(run_params)


def _hook_manager(*hooks: Any) -> pluggy.PluginManager:
    manager = pluggy.PluginManager(HOOK_NAMESPACE)
    for spec in (
        specs.NodeSpecs,
        specs.PipelineSpecs,
        specs.DataCatalogSpecs,
        specs.DatasetSpecs,
        specs.KedroContextSpecs,
    ):
        manager.add_hookspecs(spec)
    for hook in hooks:  # pluggy calls the last registered first
        manager.register(hook)
    return manager


@pytest.fixture
def mlflow_uris_restored(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The project's MLflow code (the hook, the models' loading) leaves MLflow's process-wide
    tracking and registry URIs (module globals and environment variables) as it found them:
    asserted after the test (then put back anyway, so a failure does not spread)."""
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    from data_collection_kedro.tracking.models import mlflow_process_state

    before = mlflow_process_state()
    monkeypatch.setattr(tracking_utils, "_tracking_uri", tracking_utils._tracking_uri)
    monkeypatch.setattr(registry_utils, "_registry_uri", registry_utils._registry_uri)
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        current = os.environ.get(name)
        monkeypatch.setenv(name, current or "")  # records the original value for teardown
        if current is None:
            monkeypatch.delenv(name)
    yield
    assert mlflow_process_state() == before, "MLflow's process-wide URIs were changed"


@pytest.mark.parametrize("carbon_first", [True, False], ids=["carbon-first", "mlflow-first"])
def test_training_energy_reaches_mlflow_in_either_hook_order(
    tmp_path: Path, carbon_first: bool, mlflow_uris_restored: None
) -> None:
    from mlflow.tracking import MlflowClient

    runs = RunRegistry()
    carbon, tracking = CarbonTrackingHook(runs), SpyMlflowHook(runs)
    manager = _hook_manager(*((tracking, carbon) if carbon_first else (carbon, tracking)))
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    manager.hook.after_context_created(
        context=SimpleNamespace(
            project_path=tmp_path,
            params={
                "mlflow": {"tracking_uri": uri, "register_models": False},
                "carbon": {"output_dir": str(tmp_path / "carbon")},
            },
        )
    )
    pipeline = Pipeline([node(train_toy, "frame", "toy_model", name="train_toy")])
    catalog = DataCatalog(
        datasets={
            "frame": MemoryDataset(pd.DataFrame({"x": [1.0, 2.0, 3.0]})),
            "toy_model": MemoryDataset(copy_mode="assign"),
        }
    )
    run_params = {"run_id": f"order-{carbon_first}", "pipeline_names": ["toy"], "env": "test"}
    manager.hook.before_pipeline_run(run_params=run_params, pipeline=pipeline, catalog=catalog)
    SequentialRunner().run(pipeline, catalog, manager, run_id=run_params["run_id"])
    manager.hook.after_pipeline_run(
        run_params=run_params, run_result={}, pipeline=pipeline, catalog=catalog
    )

    assert tracking.settled_at_its_end == [carbon_first]  # both orders really happened
    nodes = pd.read_csv(tmp_path / "carbon" / files.NODES_FILE_NAME).set_index("node")
    client = MlflowClient(uri)
    child = client.search_runs(
        [client.get_experiment_by_name("energiewatch").experiment_id],
        filter_string="tags.model_key = 'toy'",
    )[0]
    assert child.data.metrics["training_energy_kwh"] == pytest.approx(
        nodes.loc["train_toy", "energy_kwh"]
    )
    assert child.data.metrics["training_emissions_kg"] > 0
    parent = client.get_run(child.data.tags["mlflow.parentRunId"])
    assert parent.data.metrics["nodes_energy_kwh"] == pytest.approx(
        nodes.loc["train_toy", "energy_kwh"]
    )
