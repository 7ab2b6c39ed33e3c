"""The object a training node returns: a fitted model plus what tracking needs to know.

Nodes stay free of tracking calls: they return a :class:`ModelArtifact`, and the MLflow hook
(``data_collection_kedro.tracking.mlflow_hook``) logs, registers and promotes it.
:func:`save_artifact` / :func:`load_artifact` store one in a folder without pickle (the model in
:mod:`.model_files` formats, the metadata as JSON, the input example as Parquet): the Kedro
dataset of the ``*_model`` catalog entries.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from data_collection_kedro.modeling.model_files import ModelFormatError, load_model, save_model

ARTIFACT_FILE = "artifact.json"
EXAMPLE_FILE = "input_example.parquet"
MODEL_FOLDER = "model"
#: fields kept in files apart from the metadata (the model, the example) or never saved (what
#: one run decided about the model)
NOT_IN_METADATA = ("model", "input_example", "reused", "decision")


@dataclass
class ModelArtifact:
    """A fitted model and its tracking metadata.

    Attributes:
        model_key: short key used in ``model_metrics.model`` and forecasts (``day_ahead_catboost``).
        registered_name: MLflow registered model name (``energiewatch-day-ahead-gas-regional``);
            empty: the model is logged, not registered.
        model: the fitted estimator (scikit-learn API: ``predict(DataFrame)``).
        input_columns: the columns ``predict`` expects, in order (the MLflow signature).
        input_example: a few rows of real inputs (for the signature and the input example).
        params: hyperparameters and data parameters to log.
        validation_metrics: metrics on the validation period (``mape``, ``f1``, ...).
        selection_metric: the validation metric deciding the ``champion`` alias.
        higher_is_better: direction of ``selection_metric``.
        pip_requirements: explicit requirements of the logged model.
        description: what the model predicts, its unit, inputs, training period and
            validation metrics, for the registered model and its version (people using the
            model without the code read it in the MLflow UI).
        tags: registered-model tags (``energy``, ``unit``, ...).
        training: the record of the training that fitted ``model`` (id, parameter/code digest,
            data fingerprint, training period end, data end, time, reason), see
            :mod:`.retraining`; saved with the model.
        reused: this run reuses the stored model instead of fitting one (not saved).
        decision: why this run retrained or reused the model (not saved).
    """

    model_key: str
    registered_name: str
    model: Any
    input_columns: list[str]
    input_example: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)
    validation_metrics: dict[str, float] = field(default_factory=dict)
    selection_metric: str = "mape"
    higher_is_better: bool = False
    pip_requirements: list[str] = field(default_factory=list)
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    reused: bool = False
    decision: str = ""

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        """Predictions on ``frame`` (only ``input_columns`` are passed to the model)."""
        return pd.Series(self.model.predict(frame[self.input_columns]), index=frame.index)


def pinned_requirements(*packages: str) -> list[str]:
    """``name==installed version`` for each package (explicit pip requirements, no inference)."""
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in packages]


def _plain(value: Any) -> Any:
    """JSON-ready metadata (numpy scalars as numbers, NaN as None, other objects as text)."""
    if hasattr(value, "item") and not isinstance(value, list | dict | str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def save_artifact(artifact: ModelArtifact, folder: Path | str) -> None:
    """Write ``artifact`` into ``folder`` (created, must be empty or absent)."""
    target = Path(folder)
    save_model(artifact.model, target / MODEL_FOLDER)
    artifact.input_example.to_parquet(target / EXAMPLE_FILE)
    metadata = {
        f.name: _plain(getattr(artifact, f.name))
        for f in dataclasses.fields(artifact)
        if f.name not in NOT_IN_METADATA
    }
    (target / ARTIFACT_FILE).write_text(
        json.dumps(metadata, indent=1, allow_nan=False), encoding="utf-8"
    )


def stored_training_id(folder: Path | str) -> str | None:
    """The training id recorded in the artifact saved in ``folder`` (None: no artifact, no
    record, or an unreadable one), read without loading the model."""
    try:
        metadata = json.loads((Path(folder) / ARTIFACT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    training = metadata.get("training") if isinstance(metadata, dict) else None
    return str(training["id"]) if isinstance(training, dict) and training.get("id") else None


def load_artifact(folder: Path | str) -> ModelArtifact:
    """The :class:`ModelArtifact` saved by :func:`save_artifact` (NaN metrics come back as NaN)."""
    target = Path(folder)
    try:
        metadata = json.loads((target / ARTIFACT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelFormatError(f"{target}: unreadable {ARTIFACT_FILE} ({exc})") from None
    known = {f.name for f in dataclasses.fields(ModelArtifact)} - set(NOT_IN_METADATA)
    values = {k: v for k, v in metadata.items() if k in known}
    if "validation_metrics" in values:
        values["validation_metrics"] = {
            k: float("nan") if v is None else v for k, v in values["validation_metrics"].items()
        }
    return ModelArtifact(
        model=load_model(target / MODEL_FOLDER),
        input_example=pd.read_parquet(target / EXAMPLE_FILE),
        **values,
    )
