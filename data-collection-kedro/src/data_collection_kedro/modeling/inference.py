"""Forecasts of the days after the last observed one, built with the training features.

A future day gets the calendar of its date (:func:`domain.features.calendar_fields`), the
holidays of the libraries (:func:`domain.features.library_holidays`), no strike, and the weather
given for it (the regional climatology of the day of year by default: the indices hold no weather
forecast). Its features come from :func:`modeling.features.add_history_features`, the code that
builds the training features, for every region at once, one day ahead at a time: the forecast of
a model using ``lag_1_mwh`` (day-ahead) becomes the day's consumption for the next days' lags,
rolling means and level.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from data_collection_kedro.domain.features import (
    DAY_WEATHER_COLUMNS,
    HOLIDAY_COLUMNS,
    MOVEMENT_COLUMNS,
    calendar_fields,
    library_holidays,
)
from data_collection_kedro.modeling.artifacts import ModelArtifact
from data_collection_kedro.modeling.features import BASE_COLUMNS, add_history_features, model_input

logger = logging.getLogger(__name__)

# days of history kept before the last observed day: the trailing level, the 364-day lag and
# the smoothing all start well inside it
HISTORY_MARGIN_DAYS = 400


def climatology(features: pd.DataFrame, column: str) -> pd.Series:
    """Mean of ``column`` per ``(day_of_year, region_code)`` (smoothed over ±7 days)."""
    table = features.pivot_table(index="day_of_year", columns="region_code", values=column)
    table = table.reindex(pd.Index(range(1, 367), name="day_of_year"))
    padded = pd.concat([table.tail(7), table, table.head(7)])
    smooth = padded.rolling(15, center=True, min_periods=1).mean().iloc[7:-7]
    smooth = smooth.set_axis(table.index, axis=0)
    return pd.Series(smooth.stack(), name=column)


def climatology_weather(features: pd.DataFrame, days: pd.DataFrame) -> pd.DataFrame:
    """:data:`DAY_WEATHER_COLUMNS` of ``region_code, day`` rows from the climatology of
    ``features`` (NaN where the region has no value for that day of year)."""
    keys = pd.MultiIndex.from_arrays(
        [days["day"].dt.day_of_year.clip(upper=366), days["region_code"].astype(str)]
    )
    return pd.DataFrame(
        {
            column: climatology(features, column).reindex(keys).to_numpy(dtype=float)
            for column in DAY_WEATHER_COLUMNS
        },
        index=days.index,
    )


def history_and_future_days(
    features: pd.DataFrame, horizon_days: int, level_window_days: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each region's recent history (its :data:`BASE_COLUMNS` up to its last observed day) and its
    next ``horizon_days`` days (``region_code, region, day``). A region without any observed
    target (Corse has no gas network) is left out with a warning."""
    base_columns = [c for c in features.columns if c in BASE_COLUMNS]
    observed = features[features["target_mwh"].notna()]
    last_day = observed.groupby("region_code")["day"].max()
    for region_code in sorted(set(features["region_code"]) - set(last_day.index)):
        logger.warning("forecast: region %s has no observed target", region_code)
    region_last = features["region_code"].map(last_day)
    start = region_last - pd.Timedelta(days=level_window_days + HISTORY_MARGIN_DAYS)
    kept = region_last.notna() & (features["day"] <= region_last) & (features["day"] > start)
    history = features.loc[kept, base_columns].sort_values(["region_code", "day"])
    regions = features.groupby("region_code")["region"].last()
    codes = np.repeat(last_day.index.to_numpy(), horizon_days)
    offsets = np.tile(np.arange(1, horizon_days + 1), len(last_day))
    future = pd.DataFrame(
        {
            "region_code": codes,
            "region": regions.reindex(codes).astype(str).to_numpy(),
            "day": np.repeat(last_day.to_numpy(), horizon_days)
            + pd.to_timedelta(offsets, unit="D"),
        }
    )
    return history.reset_index(drop=True), future


def future_rows(days: pd.DataFrame, weather: pd.DataFrame) -> pd.DataFrame:
    """The :data:`BASE_COLUMNS` of future ``region_code, region, day`` rows: calendar and
    holidays of the date, no strike, ``weather`` (:data:`DAY_WEATHER_COLUMNS`, same index),
    an unknown target."""
    fields = calendar_fields(days["day"])
    holidays = library_holidays(days)
    rows = days[["region_code", "region", "day"]].assign(target_mwh=np.nan, is_complete=False)
    for column in ("weekday", "is_weekend", "month", "day_of_year"):
        rows[column] = fields[column].astype(float)
    for column in HOLIDAY_COLUMNS:
        rows[column] = holidays[column].astype(float)
    for column in MOVEMENT_COLUMNS:
        rows[column] = 0.0
    for column in DAY_WEATHER_COLUMNS:
        rows[column] = weather[column].astype(float)
    return rows


def inference_features(
    history: pd.DataFrame,
    future: pd.DataFrame,
    level_window_days: int = 365,
    level_min_periods: int = 28,
) -> pd.DataFrame:
    """The features of the ``future`` rows after ``history`` (same columns, contiguous days)."""
    frame = pd.concat([history, future[history.columns]], ignore_index=True)
    features = add_history_features(frame, level_window_days, level_min_periods)
    keys = pd.MultiIndex.from_frame(future[["region_code", "day"]])
    return features[pd.MultiIndex.from_frame(features[["region_code", "day"]]).isin(keys)]


def forecast_recursively(
    history: pd.DataFrame,
    future: pd.DataFrame,
    artifacts: Sequence[ModelArtifact],
    level_window_days: int = 365,
    level_min_periods: int = 28,
) -> pd.DataFrame:
    """``region_code, region, day, model, consumption_mwh_predicted`` of every model for the
    ``future`` rows (:func:`future_rows`), one day ahead at a time for all regions."""
    future = future.sort_values(["region_code", "day"], ignore_index=True)
    step = future.groupby("region_code").cumcount().to_numpy()
    predicted = {a.model_key: np.full(len(future), np.nan) for a in artifacts}
    for current_step in range(int(step.max()) + 1 if len(future) else 0):
        features = inference_features(history, future, level_window_days, level_min_periods)
        rows = np.flatnonzero(step == current_step)
        current = features.iloc[rows]
        for artifact in artifacts:
            values = artifact.predict(model_input(current, artifact.input_columns)).to_numpy()
            predicted[artifact.model_key][rows] = values
            if "lag_1_mwh" in artifact.input_columns:
                # recursive: the day-ahead forecast feeds the next days' lags and level
                future.loc[rows, "target_mwh"] = values
    outputs = [
        pd.DataFrame(
            {
                "region_code": future["region_code"].astype(str),
                "region": future["region"],
                "day": future["day"].dt.date,
                "model": model_key,
                "consumption_mwh_predicted": values,
            }
        )
        for model_key, values in predicted.items()
    ]
    if not outputs:
        return pd.DataFrame(
            columns=["region_code", "region", "day", "model", "consumption_mwh_predicted"]
        )
    order = ["region_code", "_model", "day"]
    ranks = {key: rank for rank, key in enumerate(predicted)}
    out = pd.concat(outputs, ignore_index=True)
    out["_model"] = out["model"].map(ranks)
    return out.sort_values(order, kind="stable", ignore_index=True).drop(columns="_model")
