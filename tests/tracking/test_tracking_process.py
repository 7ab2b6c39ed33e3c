"""MLflow tracking in a child process (``mlflow.tracking_process``, the default): the hook's
calls are replayed in a child Python process by the same hook code. What the store holds
after a run is what tracking in the run's process gives; the child's failures fail the run
and name the error; its log records reach the run's loggers; the child is gone once the run
has ended."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import psutil
import pytest
from kedro.pipeline import Node, Pipeline
from sklearn.dummy import DummyRegressor

from data_collection_kedro.modeling.artifacts import ModelArtifact
from data_collection_kedro.run_context import RunEnergy, RunRegistry
from data_collection_kedro.tracking import process
from data_collection_kedro.tracking.mlflow_hook import MODEL_TAG, MlflowTrackingHook
from data_collection_kedro.tracking.process import TrackingProcessError
from tests.hooks.test_hook_order import mlflow_uris_restored  # noqa: F401  (fixture)

NAME = "energiewatch-test-process"
PIPELINE = Pipeline([Node(lambda x: x, "x", "toy_model", name="train_toy", tags=[MODEL_TAG])])


def _artifact(validation_mape: float, reused: bool = False) -> ModelArtifact:
    example = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    model = DummyRegressor(strategy="constant", constant=validation_mape).fit(example, [0, 0, 0])
    return ModelArtifact(
        model_key="toy",
        registered_name=NAME,
        model=model,
        input_columns=["x"],
        input_example=example,
        params={"constant": validation_mape},
        validation_metrics={"mape": validation_mape},
        description=f"A constant, MWh/day (validation MAPE {validation_mape})",
        tags={"unit": "MWh/day"},
        training={"id": f"training-{validation_mape}"},
        reused=reused,
    )


def _run(
    uri: str,
    run_id: str,
    artifact: ModelArtifact,
    *,
    tracking_process: bool,
    energy_kwh: float | None = 0.001,
) -> MlflowTrackingHook:
    """One pipeline run as Kedro drives the hook: a model node, its metric rows, the end of
    the run, then the carbon hook settling the run's energy (with the node's measurement)."""
    runs = RunRegistry()
    runs.declare_energy_source()
    hook = MlflowTrackingHook(runs)
    config = {"tracking_uri": uri, "tracking_process": tracking_process}
    hook.after_context_created(SimpleNamespace(project_path=Path.cwd(), params={"mlflow": config}))
    run_params = {"run_id": run_id, "pipeline_names": ["models"], "env": "test"}
    hook.before_pipeline_run(run_params=run_params, pipeline=PIPELINE, catalog=None)
    assert (hook._worker is not None) is tracking_process
    hook.after_node_run(node=SimpleNamespace(name="train_toy"), outputs={"toy_model": artifact})
    metrics = pd.DataFrame(
        {"model": ["toy", "baseline_toy"], "split": ["test"] * 2, "metric": ["mape"] * 2}
    ).assign(value=[artifact.validation_metrics["mape"] + 1.0, 20.0])
    hook.after_node_run(node=SimpleNamespace(name="evaluate"), outputs={"model_metrics": metrics})
    hook.after_pipeline_run(run_params=run_params)
    record = runs.run(run_id)
    record.add_node_measurement(
        {"node": "train_toy", "energy_kwh": energy_kwh, "emissions_kg": 1e-5, "duration_s": 2.0}
    )
    record.settle_energy(RunEnergy(measurement="cpu_load", energy_kwh=energy_kwh))
    return hook


def _store(uri: str) -> dict[str, Any]:
    """What the store holds, without the ids and times that differ between two stores."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(uri, registry_uri=uri)
    experiment = client.get_experiment_by_name("energiewatch")
    runs = client.search_runs([experiment.experiment_id], order_by=["attributes.start_time"])
    volatile = {"mlflow.parentRunId", "reused_run_id", "mlflow.source.git.commit", "git_sha"}
    described = []
    for run in runs:
        tags = {
            k: v for k, v in run.data.tags.items() if k not in volatile and "log-model" not in k
        }
        described.append(
            (
                run.info.run_name.split("-r")[0],
                run.info.status,
                run.data.params,
                run.data.metrics,
                tags,
            )
        )
    versions = [
        (v.version, v.description, {k: val for k, val in v.tags.items() if k != "run_id"})
        for v in sorted(client.search_model_versions(f"name = '{NAME}'"), key=lambda v: v.version)
    ]
    champion = str(client.get_model_version_by_alias(NAME, "champion").version)
    return {"runs": described, "versions": versions, "champion": champion}


def _children() -> list[psutil.Process]:
    return [
        child
        for child in psutil.Process().children(recursive=True)
        if process.CHILD_MODULE in " ".join(child.cmdline())
    ]


@pytest.mark.usefixtures("mlflow_uris_restored")
def test_the_tracking_process_writes_what_the_run_process_writes(tmp_path: Path) -> None:
    stores = {}
    for tracking_process in (True, False):
        uri = f"sqlite:///{tmp_path}/{tracking_process}/mlflow.db"
        versions = [
            _run(uri, "r1", _artifact(10.0), tracking_process=tracking_process),
            _run(uri, "r2", _artifact(12.0), tracking_process=tracking_process),  # challenger
            _run(uri, "r3", _artifact(12.0, reused=True), tracking_process=tracking_process),
            _run(uri, "r4", _artifact(8.0), tracking_process=tracking_process),
        ]
        assert [hook.registered_versions.get(NAME) for hook in versions] == ["1", "2", None, "3"]
        stores[tracking_process] = _store(uri)
        assert not _children()  # each run's tracking process ended with its run
    assert stores[True] == stores[False]
    store = stores[True]
    assert store["champion"] == "3"
    # the child runs hold the model's metrics and its training node's energy
    toy_runs = [run for run in store["runs"] if run[0] == "toy"]
    assert toy_runs[0][3]["test_mape"] == 11.0
    assert toy_runs[0][3]["training_energy_kwh"] == 0.001
    assert toy_runs[2][4]["reused"] == "true" and toy_runs[2][4]["reused_model_version"] == "2"
    assert "training_energy_kwh" not in toy_runs[2][3]  # a reused model trained nothing


@pytest.mark.usefixtures("mlflow_uris_restored")
def test_the_tracking_process_logs_through_the_run_loggers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="data_collection_kedro.tracking.mlflow_hook")
    _run(f"sqlite:///{tmp_path}/mlflow.db", "r1", _artifact(10.0), tracking_process=True)
    champion = [r for r in caplog.records if "is the new champion" in r.getMessage()]
    assert len(champion) == 1
    assert champion[0].name == "data_collection_kedro.tracking.mlflow_hook"
    assert f"{NAME} v1" in champion[0].getMessage()


def test_a_failure_in_the_tracking_process_fails_the_run_and_says_why(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    uri = f"sqlite:///{blocker}/mlflow.db"  # its folder cannot be created
    with pytest.raises(TrackingProcessError, match="tracking process") as raised:
        _run(uri, "r1", _artifact(10.0), tracking_process=True)
    assert "a-file" in str(raised.value)  # the child's traceback names what failed
    assert not _children()


def test_a_tracking_process_that_dies_is_reported(tmp_path: Path) -> None:
    worker = process.TrackingProcess(timeout_s=60)
    worker.send("configure", tmp_path, {"tracking_uri": f"sqlite:///{tmp_path}/m.db"})
    for child in _children():
        child.kill()
    with pytest.raises(TrackingProcessError, match="ended .*before answering 'sync'"):
        worker.sync()
    worker.kill()


def test_runs_without_models_or_with_in_process_tracking_start_no_process(tmp_path: Path) -> None:
    hook = MlflowTrackingHook()
    config = {"tracking_uri": f"sqlite:///{tmp_path}/mlflow.db"}
    hook.after_context_created(SimpleNamespace(project_path=tmp_path, params={"mlflow": config}))
    etl = Pipeline([Node(lambda x: x, "x", "y", name="ingest", tags=["etl"])])
    hook.before_pipeline_run(run_params={"run_id": "r"}, pipeline=etl, catalog=None)
    assert hook._worker is None and not _children()
    hook.after_pipeline_run(run_params={"run_id": "r"})
    with pytest.raises(ValueError, match="mlflow.tracking_process"):
        config["tracking_process"] = "sometimes"
        hook.after_context_created(
            SimpleNamespace(project_path=tmp_path, params={"mlflow": config})
        )
        hook.before_pipeline_run(run_params={"run_id": "r2"}, pipeline=PIPELINE, catalog=None)


@pytest.mark.usefixtures("mlflow_uris_restored")
def test_a_run_that_tracks_nothing_ends_its_process_without_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run whose model nodes output no model and no metric rows (the serving node alone):
    the tracking process is ended at once, never waited for, and the store stays empty, as
    with tracking in process."""

    def no_wait(self: process.TrackingProcess) -> dict[str, Any]:
        raise AssertionError("the run waited for a tracking process with nothing to track")

    monkeypatch.setattr(process.TrackingProcess, "sync", no_wait)
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    hook = MlflowTrackingHook()
    config = {"tracking_uri": uri, "tracking_process": True}
    hook.after_context_created(SimpleNamespace(project_path=tmp_path, params={"mlflow": config}))
    run_params = {"run_id": "serve", "pipeline_names": ["forecasting"], "env": "test"}
    hook.before_pipeline_run(run_params=run_params, pipeline=PIPELINE, catalog=None)
    assert hook._worker is not None
    served = pd.DataFrame({"region_code": ["11"], "p50": [1.0]})
    hook.after_node_run(node=SimpleNamespace(name="serve"), outputs={"forecasts": served})
    hook.after_pipeline_run(run_params=run_params)
    assert hook._worker is None and not _children()
    assert not (tmp_path / "mlflow.db").exists()  # nothing was written, as in process
