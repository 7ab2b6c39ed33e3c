"""Estimators shared by the forecasting models."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from data_collection_kedro.modeling.features import model_input, recency_weights


class LevelRatioRegressor(RegressorMixin, BaseEstimator):
    """Learns consumption as a ratio to a level column, predicts back in MWh.

    Regional gas demand differs by two orders of magnitude between regions and drifts over
    the years; predicting ``target / level`` (the level being a past-only mean, such as the
    trailing 7-day or 365-day mean) makes the learnt shape independent of both. The columns in
    ``scaled_columns`` (other consumption features in MWh) are divided by the level as well.
    """

    def __init__(
        self,
        estimator: Any,
        level_column: str,
        scaled_columns: Sequence[str] = (),
        fallback_level_columns: Sequence[str] = (),
    ) -> None:
        self.estimator = estimator
        self.level_column = level_column
        self.scaled_columns = scaled_columns
        self.fallback_level_columns = fallback_level_columns

    def level(self, X: pd.DataFrame) -> np.ndarray:
        """The level of each row: ``level_column``, else the first ``fallback_level_columns``
        value (a missing last day: the mean of the days before it)."""
        level = X[self.level_column].to_numpy(dtype=float)
        for column in self.fallback_level_columns:
            missing = ~(level > 0)
            if not missing.any():
                break
            level = np.where(missing, X[column].to_numpy(dtype=float), level)
        return level

    def _scaled(self, X: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
        level = self.level(X)
        if np.any(~np.isfinite(level)) or np.any(level <= 0):
            columns = [self.level_column, *self.fallback_level_columns]
            raise ValueError(
                f"{' or '.join(columns)} must be a positive number on every row "
                f"({int(np.sum(~(level > 0)))} rows are missing, zero or negative)"
            )
        scaled = X.copy(deep=False)  # copy-on-write: the columns set below are its own
        if self.level_column in X.columns:
            # a row whose own level is missing (an unpublished day) gets the fallback level
            # in its place: the model never sees the level as missing, which it would read
            # as a level below every level it has learnt from
            scaled[self.level_column] = level
        for column in self.scaled_columns:
            scaled[column] = X[column].astype(float) / level
        return scaled, level

    def fit(
        self, X: pd.DataFrame, y: Any, sample_weight: np.ndarray | None = None
    ) -> LevelRatioRegressor:
        scaled, level = self._scaled(X)
        # deepcopy, not sklearn.clone: CatBoost's constructor does not round-trip cat_features
        self.estimator_ = copy.deepcopy(self.estimator)
        ratio = np.asarray(y, dtype=float) / level
        fit_params: dict[str, Any] = {}
        if sample_weight is not None:
            name = "sample_weight"
            if isinstance(self.estimator_, Pipeline):
                name = f"{self.estimator_.steps[-1][0]}__sample_weight"
            fit_params[name] = sample_weight
        self.estimator_.fit(scaled, ratio, **fit_params)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        scaled, level = self._scaled(X)
        return np.asarray(self.estimator_.predict(scaled), dtype=float) * level


# the CatBoost options every model sets (defaults when a parameter file omits them); any other
# CatBoostRegressor option in a model's ``catboost`` parameters (``l2_leaf_reg``, ...) is passed on
_CATBOOST_DEFAULTS: dict[str, tuple[type, Any]] = {
    "iterations": (int, 500),
    "depth": (int, 6),
    "learning_rate": (float, 0.05),
    "loss_function": (str, "RMSE"),
    "random_seed": (int, 42),
    "thread_count": (int, 2),
}


def catboost_regressor(params: dict[str, Any], cat_features: list[str]) -> Any:
    """A CatBoost regressor from parameters (quiet, seeded, thread count from parameters).

    Raises ``ValueError`` naming the option when ``params`` holds one CatBoost does not know
    (a misspelt option is never silently ignored)."""
    from data_collection_kedro.modeling.model_files import import_catboost

    catboost = import_catboost()
    options = {**params}
    for name, (kind, default) in _CATBOOST_DEFAULTS.items():
        options[name] = kind(params.get(name, default))
    known = set(inspect.signature(catboost.CatBoostRegressor.__init__).parameters)
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(
            f"catboost parameters: unknown option(s) {unknown}; expected CatBoostRegressor "
            f"options such as {sorted(_CATBOOST_DEFAULTS)}"
        )
    return catboost.CatBoostRegressor(
        **options, cat_features=cat_features, allow_writing_files=False, verbose=False
    )


def random_forest_regressor(
    params: dict[str, Any], columns: list[str], categorical: list[str]
) -> Pipeline:
    """A RandomForest regressor with ordinal-encoded categorical columns (unknowns → -1)."""
    from sklearn.ensemble import RandomForestRegressor

    numeric = [c for c in columns if c not in categorical]
    encoder = ColumnTransformer(
        [
            (
                "categorical",
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
                categorical,
            ),
            ("numeric", "passthrough", numeric),
        ]
    )
    forest = RandomForestRegressor(
        n_estimators=int(params.get("n_estimators", 200)),
        max_depth=params.get("max_depth"),
        min_samples_leaf=int(params.get("min_samples_leaf", 3)),
        random_state=int(params.get("random_seed", 42)),
        n_jobs=int(params.get("n_jobs", 2)),
    )
    return Pipeline([("encode", encoder), ("forest", forest)])


def level_ratio_model(
    model_params: Mapping[str, Any], columns: Sequence[str]
) -> LevelRatioRegressor:
    """The estimator of a model's parameters (``kind``: ``catboost`` or ``random_forest``,
    its hyper-parameters under that key, ``level_column``, ``scaled_columns``,
    ``fallback_level_columns``), ``region_code`` categorical."""
    kind = str(model_params.get("kind", "catboost"))
    categorical = [c for c in columns if c == "region_code"]
    if kind == "catboost":
        base = catboost_regressor(dict(model_params.get("catboost", {})), categorical)
    elif kind == "random_forest":
        base = random_forest_regressor(
            dict(model_params.get("random_forest", {})), list(columns), categorical
        )
    else:
        raise ValueError(f"unknown model kind {kind!r}; expected 'catboost' or 'random_forest'")
    return LevelRatioRegressor(
        base,
        level_column=str(model_params["level_column"]),
        scaled_columns=list(model_params.get("scaled_columns", [])),
        fallback_level_columns=list(model_params.get("fallback_level_columns", [])),
    )


def fit_level_ratio(
    model_params: Mapping[str, Any], rows: pd.DataFrame, columns: Sequence[str]
) -> LevelRatioRegressor:
    """:func:`level_ratio_model` fitted on ``rows`` (``target_mwh``, ``day`` for the recency
    weights of ``recent_weight_half_life_days``)."""
    model = level_ratio_model(model_params, columns)
    weights = recency_weights(rows["day"], model_params.get("recent_weight_half_life_days"))
    model.fit(
        model_input(rows, list(columns)), rows["target_mwh"].to_numpy(), sample_weight=weights
    )
    return model
