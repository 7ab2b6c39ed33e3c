"""Forecasting nodes: features, time split, three models, evaluation against baselines, inference.

Models:

- ``day_ahead_catboost``: tomorrow's daily regional consumption from recent consumption
  (lags 1 and 7, past-only rolling means), the day's weather and the calendar;
- ``whatif_weather_catboost``: consumption from weather + calendar only ("give me the weather");
- ``whatif_movements_rf``: consumption from strikes/social movements + calendar.

All three learn the ratio of consumption to a past-only level (``LevelRatioRegressor``), which
corrects for the drift of demand over the years; the bias on every split is in the metrics.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from data_collection_kedro.modeling.artifacts import ModelArtifact, pinned_requirements
from data_collection_kedro.modeling.baselines import baseline_predictions
from data_collection_kedro.modeling.estimators import (
    LevelRatioRegressor,
    catboost_regressor,
    random_forest_regressor,
)
from data_collection_kedro.modeling.features import (
    forecasting_features,
    model_input,
    recency_weights,
)
from data_collection_kedro.modeling.inference import (
    climatology_weather,
    forecast_recursively,
    future_rows,
    history_and_future_days,
)
from data_collection_kedro.modeling.metrics import metrics_rows, regression_metrics
from data_collection_kedro.modeling.splits import assign_split, time_split_bounds

logger = logging.getLogger(__name__)

REQUIREMENTS = ("catboost", "scikit-learn", "pandas", "numpy", "cloudpickle")


def build_features(
    meteo_consommation: pd.DataFrame,
    consommation_mouvements: pd.DataFrame,
    params: dict[str, Any],
) -> pd.DataFrame:
    """The daily regional feature frame with the split of every day."""
    features = forecasting_features(
        meteo_consommation,
        consommation_mouvements,
        target=params["target"],
        level_window_days=int(params.get("level_window_days", 365)),
        level_min_periods=int(params.get("level_min_periods", 28)),
    )
    bounds = time_split_bounds(features.loc[features["target_mwh"].notna(), "day"], params["split"])
    features["split"] = assign_split(features["day"], bounds)
    logger.info("forecasting split %s (%d rows)", bounds, len(features))
    return features


def _training_rows(
    features: pd.DataFrame, splits: tuple[str, ...], columns: list[str], params: dict[str, Any]
) -> pd.DataFrame:
    rows = features[features["split"].isin(splits) & features["target_mwh"].notna()]
    if params.get("train_on_complete_days_only", True):
        rows = rows[rows["is_complete"]]
    numeric = [c for c in columns if c != "region_code"]
    level = rows[numeric].notna().all(axis=1) & (rows["target_mwh"] > 0)
    return rows[level]


def _evaluable_rows(features: pd.DataFrame, split: str, columns: list[str]) -> pd.DataFrame:
    """Rows of ``split`` with a target and every input (a model cannot predict without inputs)."""
    rows = features[(features["split"] == split) & features["target_mwh"].notna()]
    numeric = [c for c in columns if c != "region_code"]
    return rows[rows[numeric].notna().all(axis=1)]


def _estimator(kind: str, model_params: dict[str, Any], columns: list[str]) -> Any:
    categorical = [c for c in columns if c == "region_code"]
    if kind == "catboost":
        base = catboost_regressor(model_params.get("catboost", {}), categorical)
    elif kind == "random_forest":
        base = random_forest_regressor(model_params.get("random_forest", {}), columns, categorical)
    else:
        raise ValueError(f"unknown model kind {kind!r}; expected 'catboost' or 'random_forest'")
    return LevelRatioRegressor(
        base,
        level_column=model_params["level_column"],
        scaled_columns=list(model_params.get("scaled_columns", [])),
    )


def _fit(
    kind: str, model_params: dict[str, Any], rows: pd.DataFrame, columns: list[str]
) -> LevelRatioRegressor:
    model = _estimator(kind, model_params, columns)
    weights = recency_weights(rows["day"], model_params.get("recent_weight_half_life_days"))
    model.fit(model_input(rows, columns), rows["target_mwh"].to_numpy(), sample_weight=weights)
    return model


def train_model(features: pd.DataFrame, params: dict[str, Any], model_key: str) -> ModelArtifact:
    """Fit on train, score on validation (selection metric), refit on train + validation.

    The refitted model is the one returned, evaluated on the test period and registered.
    """
    model_params = params["models"][model_key]
    columns = list(model_params["features"])
    kind = model_params["kind"]
    train = _training_rows(features, ("train",), columns, params)
    validation = _evaluable_rows(features, "validation", columns)
    if train.empty or validation.empty:
        raise ValueError(
            f"{model_key}: no usable rows (train {len(train)}, validation {len(validation)}); "
            "check the split parameters and that the indices cover enough days"
        )
    first = _fit(kind, model_params, train, columns)
    validation_metrics = regression_metrics(
        validation["target_mwh"],
        pd.Series(first.predict(model_input(validation, columns)), index=validation.index),
    )
    final_rows = _training_rows(features, ("train", "validation"), columns, params)
    final = _fit(kind, model_params, final_rows, columns)
    logger.info(
        "%s: %d training rows, validation MAPE %.2f%%, bias %.1f MWh",
        model_key,
        len(final_rows),
        validation_metrics["mape"],
        validation_metrics["bias"],
    )
    return ModelArtifact(
        model_key=model_key,
        registered_name=model_params["registered_name"],
        model=final,
        input_columns=columns,
        input_example=model_input(final_rows.tail(5), columns).reset_index(drop=True),
        params={
            "kind": kind,
            "target": params["target"],
            "features": ",".join(columns),
            "level_column": model_params["level_column"],
            "recent_weight_half_life_days": model_params.get("recent_weight_half_life_days"),
            "train_rows_validation_fit": len(train),
            "train_rows": len(final_rows),
            "train_first_day": final_rows["day"].min().date().isoformat(),
            "train_last_day": final_rows["day"].max().date().isoformat(),
            **{f"{kind}.{k}": v for k, v in model_params.get(kind, {}).items()},
        },
        validation_metrics=validation_metrics,
        selection_metric="mape",
        higher_is_better=False,
        pip_requirements=pinned_requirements(*REQUIREMENTS),
    )


def evaluate_models(
    features: pd.DataFrame, params: dict[str, Any], *artifacts: ModelArtifact
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Test-period metrics of every model next to the baselines, and the per-day backtest.

    Baselines are scored on the rows where every model could predict, so each model is
    compared on the same days; the HDD regression is fitted on the same history as the models.
    """
    all_columns = sorted({c for a in artifacts for c in a.input_columns})
    history = features[features["split"].isin(["train", "validation"])]
    backtests = []
    rows = []
    for split, fit_on in (
        ("validation", features[features["split"] == "train"]),
        ("test", history),
    ):
        evaluable = _evaluable_rows(features, split, all_columns)
        predictions: dict[str, pd.Series] = dict(baseline_predictions(evaluable, fit_on))
        if split == "test":
            for artifact in artifacts:
                predictions[artifact.model_key] = artifact.predict(
                    model_input(evaluable, artifact.input_columns)
                )
        for model_key, predicted in predictions.items():
            rows.append(
                metrics_rows(
                    model_key, split, regression_metrics(evaluable["target_mwh"], predicted)
                )
            )
            if split == "test":
                backtests.append(
                    pd.DataFrame(
                        {
                            "region_code": evaluable["region_code"],
                            "region": evaluable["region"],
                            "day": evaluable["day"].dt.date,
                            "model": model_key,
                            "actual_mwh": evaluable["target_mwh"],
                            "predicted_mwh": predicted.astype(float),
                            "is_complete": evaluable["is_complete"],
                        }
                    )
                )
    for artifact in artifacts:
        rows.append(metrics_rows(artifact.model_key, "validation", artifact.validation_metrics))
    metrics = pd.concat(rows, ignore_index=True)
    backtest = pd.concat(backtests, ignore_index=True)
    _log_summary(metrics)
    return metrics, backtest


def _log_summary(metrics: pd.DataFrame) -> None:
    test = metrics[(metrics["split"] == "test") & metrics["metric"].isin(["mape", "bias_pct"])]
    table = test.pivot_table(index="model", columns="metric", values="value")
    logger.info("test-period metrics:\n%s", table.round(2).to_string())


def forecast_next_days(
    features: pd.DataFrame, params: dict[str, Any], *artifacts: ModelArtifact
) -> pd.DataFrame:
    """Forecasts of every model for the ``horizon_days`` days after the last observed day.

    Future days get the calendar of their date, the holidays of the libraries, no strike and the
    regional climatology of the day of year as weather (the index holds no weather forecasts);
    the day-ahead model runs recursively (see :mod:`data_collection_kedro.modeling.inference`).
    """
    level_window = int(params.get("level_window_days", 365))
    level_min_periods = int(params.get("level_min_periods", 28))
    history, days = history_and_future_days(
        features, int(params.get("horizon_days", 7)), level_window
    )
    future = future_rows(days, climatology_weather(features, days))
    return forecast_recursively(history, future, artifacts, level_window, level_min_periods)
