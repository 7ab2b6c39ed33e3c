"""The object a training node returns: a fitted model plus what tracking needs to know.

Nodes stay free of tracking calls: they return a :class:`ModelArtifact`, and the MLflow hook
(``data_collection_kedro.tracking.mlflow_hook``) logs, registers and promotes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


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

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        """Predictions on ``frame`` (only ``input_columns`` are passed to the model)."""
        return pd.Series(self.model.predict(frame[self.input_columns]), index=frame.index)


def pinned_requirements(*packages: str) -> list[str]:
    """``name==installed version`` for each package (explicit pip requirements, no inference)."""
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in packages]
