"""Models in MLflow (issue #13 item 8): logged by the project without pickle, loaded by
``models:/<name>@champion`` with pickle loading off; a malicious pickle written into the registry
or the artifact folder is refused, and the code in it never runs. The hook keeps its artifacts
under the data folder and leaves MLflow's process-wide URIs as it found them."""

from __future__ import annotations

import builtins
import os
import pickle
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from data_collection_kedro.modeling.artifacts import ModelArtifact, pinned_requirements
from data_collection_kedro.tracking.mlflow_hook import MlflowTrackingHook
from data_collection_kedro.tracking.models import UnsafeModelError, load_registered_model

NAME = "energiewatch-test-safe"


class Marker:
    """Unpickling this creates ``path``: proof that loading ran code."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (builtins.open, (self.path, "w"))


def _artifact() -> ModelArtifact:
    from sklearn.ensemble import IsolationForest
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(200, 2)), columns=["x", "y"])
    model = Pipeline(
        [("scale", StandardScaler()), ("forest", IsolationForest(n_estimators=10, random_state=0))]
    ).fit(frame)
    return ModelArtifact(
        model_key="safe",
        registered_name=NAME,
        model=model,
        input_columns=["x", "y"],
        input_example=frame.head(5),
        validation_metrics={"f1": 0.5},
        selection_metric="f1",
        higher_is_better=True,
        pip_requirements=pinned_requirements("scikit-learn", "cloudpickle"),
    )


def _run_hook(project: Path, uri: str, artifact: ModelArtifact) -> MlflowTrackingHook:
    hook = MlflowTrackingHook()
    hook.after_context_created(
        SimpleNamespace(
            project_path=project,
            params={"mlflow": {"tracking_uri": uri, "artifact_location": "data/mlartifacts"}},
        )
    )
    run_params = {"run_id": "r1", "pipeline_names": ["anomaly_detection"]}
    hook.before_pipeline_run(run_params=run_params, pipeline=None, catalog=None)
    hook.after_node_run(node=SimpleNamespace(name="train_safe"), outputs={"m": artifact})
    hook.after_pipeline_run(run_params=run_params)
    return hook


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """One champion logged by the hook in a project folder; pickle loading off (the default)."""
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "false")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    artifact = _artifact()
    _run_hook(project, uri, artifact)
    return {"uri": uri, "project": project, "artifact": artifact, "marker": tmp_path / "ran"}


def test_champion_loads_without_pickle(registry: dict[str, Any]) -> None:
    import mlflow

    artifact, frame = registry["artifact"], registry["artifact"].input_example
    version, model = load_registered_model(NAME, registry["uri"], alias="champion")
    assert version == "1"
    np.testing.assert_array_equal(model.predict(frame), artifact.model.predict(frame))
    raw = model.get_raw_model()
    np.testing.assert_array_equal(raw.score_samples(frame), artifact.model.score_samples(frame))
    # MLflow's own loader too, with MLFLOW_ALLOW_PICKLE_DESERIALIZATION=false
    from data_collection_kedro.tracking.models import mlflow_uris

    with mlflow_uris(registry["uri"]):
        loaded = mlflow.pyfunc.load_model(f"models:/{NAME}@champion")
    np.testing.assert_array_equal(loaded.predict(frame), artifact.model.predict(frame))


def test_artifacts_are_under_the_data_folder_not_mlruns(registry: dict[str, Any]) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=registry["uri"], registry_uri=registry["uri"])
    source = client.get_model_version_download_uri(NAME, "1")
    data = (registry["project"] / "data" / "mlartifacts").resolve()
    assert source.startswith(data.as_uri()), source
    assert not (registry["project"] / "mlruns").exists()
    logged = [p for p in data.rglob("*") if p.is_file()]
    assert not [p for p in logged if p.suffix in {".pkl", ".pickle"}]
    assert any(p.name == "arrays.bin" for p in logged)  # the forest's arrays, no pickle


def test_the_hook_restores_mlflow_process_wide_uris(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever MLflow's process-wide URIs were before a run, they are the same after it."""
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    before = f"sqlite:///{tmp_path / 'other.db'}"
    monkeypatch.setattr(tracking_utils, "_tracking_uri", before)
    monkeypatch.setattr(registry_utils, "_registry_uri", before)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", before)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    _run_hook(tmp_path, f"sqlite:///{tmp_path / 'mlflow.db'}", _artifact())
    assert (tracking_utils._tracking_uri, registry_utils._registry_uri) == (before, before)
    assert os.environ["MLFLOW_TRACKING_URI"] == before
    assert "MLFLOW_REGISTRY_URI" not in os.environ


def test_a_pickled_model_registered_as_champion_is_refused(registry: dict[str, Any]) -> None:
    """Someone with write access registers a cloudpickled model and moves the alias to it."""
    import mlflow
    from mlflow import MlflowClient

    from data_collection_kedro.tracking.models import mlflow_uris

    marker = str(registry["marker"])

    class Evil(mlflow.pyfunc.PythonModel):
        def __init__(self) -> None:
            self.payload = Marker(marker)

        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            return model_input

    with mlflow_uris(registry["uri"]), mlflow.start_run():
        info = mlflow.pyfunc.log_model(name="model", python_model=Evil())
        version = mlflow.register_model(info.model_uri, NAME).version
    client = MlflowClient(tracking_uri=registry["uri"], registry_uri=registry["uri"])
    client.set_registered_model_alias(NAME, "champion", str(version))

    with pytest.raises(UnsafeModelError, match="loader module 'mlflow.pyfunc.model'.*python_model"):
        load_registered_model(NAME, registry["uri"], alias="champion")
    assert not registry["marker"].exists()
    # and MLflow itself refuses it: pickle loading is off
    with mlflow_uris(registry["uri"]), pytest.raises(Exception, match="pickle"):
        mlflow.pyfunc.load_model(f"models:/{NAME}@champion")
    assert not registry["marker"].exists()


def _logged_folder(registry: dict[str, Any]) -> Path:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=registry["uri"], registry_uri=registry["uri"])
    source = client.get_model_version_download_uri(NAME, "1")
    return Path(source.removeprefix("file://"))


def test_a_pickle_written_into_the_artifact_folder_is_refused(registry: dict[str, Any]) -> None:
    """Someone with write access to the artifact store swaps the model file for a pickle."""
    folder = _logged_folder(registry)
    arrays_file = folder / "data" / "model_files" / "arrays.bin"
    arrays_file.write_bytes(pickle.dumps(Marker(str(registry["marker"]))))
    with pytest.raises(Exception, match="refused"):
        load_registered_model(NAME, registry["uri"], alias="champion")
    assert not registry["marker"].exists()


def test_a_tampered_mlmodel_is_refused(registry: dict[str, Any]) -> None:
    """The MLmodel is edited to load the model with the sklearn flavour's unpickler, and a
    pickle is put where it looks; or to ship code that MLflow would put on sys.path."""
    folder = _logged_folder(registry)
    mlmodel = folder / "MLmodel"
    original = mlmodel.read_text(encoding="utf-8")
    (folder / "data" / "model.pkl").write_bytes(pickle.dumps(Marker(str(registry["marker"]))))
    for tampered in (
        original.replace(
            "loader_module: data_collection_kedro.modeling.model_files",
            "loader_module: mlflow.sklearn",
        ),
        original.replace("code: null", "code: data"),
    ):
        assert tampered != original
        mlmodel.write_text(tampered, encoding="utf-8")
        with pytest.raises(UnsafeModelError):
            load_registered_model(NAME, registry["uri"], alias="champion")
    assert not registry["marker"].exists()
    shutil.rmtree(folder / "data" / "model_files")
    mlmodel.write_text(original, encoding="utf-8")
    with pytest.raises(UnsafeModelError, match="no model folder"):
        load_registered_model(NAME, registry["uri"], alias="champion")
