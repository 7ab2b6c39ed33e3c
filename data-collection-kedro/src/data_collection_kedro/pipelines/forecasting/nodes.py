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

import numpy as np
import pandas as pd

from data_collection_kedro.modeling.artifacts import ModelArtifact, pinned_requirements
from data_collection_kedro.modeling.baselines import baseline_predictions
from data_collection_kedro.modeling.estimators import (
    LevelRatioRegressor,
    catboost_regressor,
    random_forest_regressor,
)
from data_collection_kedro.modeling.features import (
    BOOLEAN_COLUMNS,
    CALENDAR_COLUMNS,
    MOVEMENT_COLUMNS,
    WEATHER_COLUMNS,
    add_history_features,
    forecasting_features,
    model_input,
    recency_weights,
)
from data_collection_kedro.modeling.metrics import metrics_rows, regression_metrics
from data_collection_kedro.modeling.splits import assign_split, time_split_bounds

logger = logging.getLogger(__name__)

REQUIREMENTS = ("catboost", "scikit-learn", "pandas", "numpy", "cloudpickle")
# the columns of daily_frame that add_history_features builds on
_BASE_COLUMNS = {
    "region_code",
    "region",
    "day",
    "target_mwh",
    "is_complete",
    *WEATHER_COLUMNS,
    *CALENDAR_COLUMNS,
    *MOVEMENT_COLUMNS,
    *BOOLEAN_COLUMNS,
}


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


def _climatology(features: pd.DataFrame, column: str) -> pd.Series:
    """Mean of ``column`` per ``(day_of_year, region_code)`` (smoothed over ±7 days)."""
    table = features.pivot_table(index="day_of_year", columns="region_code", values=column)
    table = table.reindex(pd.Index(range(1, 367), name="day_of_year"))
    padded = pd.concat([table.tail(7), table, table.head(7)])
    smooth = padded.rolling(15, center=True, min_periods=1).mean().iloc[7:-7]
    smooth = smooth.set_axis(table.index, axis=0)
    return pd.Series(smooth.stack(), name=column)


def _future_calendar(days: pd.DatetimeIndex, region_code: str) -> pd.DataFrame:
    """Public and school holidays of future days (the libraries the ETL uses)."""
    import holidays as holidays_lib

    from data_collection_kedro.domain.regions import school_zone_of

    public = holidays_lib.country_holidays("FR", years=sorted(set(days.year)))
    zone = school_zone_of(region_code)
    school: list[bool] = []
    try:
        from vacances_scolaires_france import SchoolHolidayDates

        dates = SchoolHolidayDates()
        for day in days:
            try:
                school.append(bool(zone and dates.is_holiday_for_zone(day.date(), zone)))
            except Exception:  # the library covers a fixed range of school years
                school.append(False)
    except ImportError:
        school = [False] * len(days)
    return pd.DataFrame(
        {
            "day": days,
            "is_public_holiday": [float(d.date() in public) for d in days],
            "is_school_holiday": np.asarray(school, dtype=float),
        }
    )


def forecast_next_days(
    features: pd.DataFrame, params: dict[str, Any], *artifacts: ModelArtifact
) -> pd.DataFrame:
    """Forecasts of every model for the ``horizon_days`` days after the last observed day.

    Each future day is appended to the region's history and the features are rebuilt with
    :func:`add_history_features` (the same code as for training). The day-ahead model runs
    recursively (its forecast becomes the next day's lag); the weather of future days is the
    regional climatology of the day of year (the index holds no weather forecasts); strikes are
    assumed absent.
    """
    horizon = int(params.get("horizon_days", 7))
    level_window = int(params.get("level_window_days", 365))
    level_min_periods = int(params.get("level_min_periods", 28))
    weather = ("temp_min_c", "temp_max_c", "temp_mean_c", "heating_degree_days")
    climate = {c: _climatology(features, c) for c in weather}
    base_columns = [c for c in features.columns if c in _BASE_COLUMNS]
    outputs = []
    for region_code, history in features.groupby("region_code", sort=True):
        history = history.sort_values("day")
        last_day = history.loc[history["target_mwh"].notna(), "day"].max()
        if pd.isna(last_day):  # e.g. Corse has no gas network: nothing to forecast from
            logger.warning("forecast_next_days: region %s has no observed target", region_code)
            continue
        tail = history[
            (history["day"] <= last_day)
            & (history["day"] > last_day - pd.Timedelta(days=level_window + 400))
        ][base_columns]
        future_days = pd.date_range(last_day + pd.Timedelta(days=1), periods=horizon, freq="D")
        calendar = _future_calendar(future_days, str(region_code))
        public = calendar["is_public_holiday"].to_numpy(dtype=float)
        school = calendar["is_school_holiday"].to_numpy(dtype=float)
        region = str(history["region"].iloc[-1])
        predicted: dict[str, list[float]] = {a.model_key: [] for a in artifacts}
        for position, day in enumerate(future_days):
            row: dict[str, Any] = {
                "region_code": str(region_code),
                "region": region,
                "day": day,
                "target_mwh": np.nan,
                "is_complete": False,
                "weekday": float(day.weekday()),
                "is_weekend": float(day.weekday() >= 5),
                "month": float(day.month),
                "day_of_year": float(day.dayofyear),
                "is_public_holiday": public[position],
                "is_school_holiday": school[position],
                "strike_active": 0.0,
                "strike_count": 0.0,
                "strike_rate_pct": 0.0,
            }
            for column, table in climate.items():
                row[column] = float(table.get((min(day.dayofyear, 366), str(region_code)), np.nan))
            tail = pd.concat([tail, pd.DataFrame([row])[base_columns]], ignore_index=True)
            current = add_history_features(tail, level_window, level_min_periods).tail(1)
            for artifact in artifacts:
                value = float(
                    artifact.predict(model_input(current, artifact.input_columns)).iloc[0]
                )
                predicted[artifact.model_key].append(value)
                if "lag_1_mwh" in artifact.input_columns:
                    # recursive: the day-ahead forecast feeds the next day's lags
                    tail.loc[tail.index[-1], "target_mwh"] = value
        for model_key, values in predicted.items():
            outputs.append(
                pd.DataFrame(
                    {
                        "region_code": str(region_code),
                        "region": region,
                        "day": [d.date() for d in future_days],
                        "model": model_key,
                        "consumption_mwh_predicted": values,
                    }
                )
            )
    return pd.concat(outputs, ignore_index=True)
