"""Daily regional feature frames built from the indices ``meteo_consommation`` and
``consommation_mouvements`` (docs/data-contracts.md §3).

Every lag and rolling statistic is computed per region on a regular daily grid and shifted
by at least one day, so a row only sees consumption strictly before its own day.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from data_collection_kedro.domain.features import (
    DAY_WEATHER_COLUMNS,
    HOLIDAY_COLUMNS,
    KEY,
    MOVEMENT_COLUMNS,
    HistorySpec,
    add_consumption_history,
    add_weather_history,
    as_day,
    calendar_fields,
    daily_grid,
)

CALENDAR_COLUMNS = ("weekday", "is_weekend", "month", "day_of_year", *HOLIDAY_COLUMNS)
BOOLEAN_COLUMNS = ("is_weekend", *HOLIDAY_COLUMNS, "strike_active")
# the columns of daily_frame that add_history_features builds on
BASE_COLUMNS = (
    *KEY,
    "region",
    "target_mwh",
    "is_complete",
    *DAY_WEATHER_COLUMNS,
    *CALENDAR_COLUMNS,
    *MOVEMENT_COLUMNS,
)


def require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    """Fail with the frame name, the missing columns and the expected ones."""
    expected = list(columns)
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{name}: missing column(s) {missing}; expected at least {expected} "
            f"(see docs/data-contracts.md §3), got {list(frame.columns)}"
        )


def daily_frame(
    meteo_consommation: pd.DataFrame,
    consommation_mouvements: pd.DataFrame,
    target: str,
) -> pd.DataFrame:
    """One row per region and calendar day on a regular grid, with weather, calendar and target.

    Days missing from the indices appear with a missing target (they are never filled:
    the lag features of the following days see the gap as a gap).
    """
    require_columns(
        meteo_consommation, [*KEY, "region", target, *DAY_WEATHER_COLUMNS], "meteo_consommation"
    )
    require_columns(consommation_mouvements, KEY, "consommation_mouvements")
    meteo = meteo_consommation.copy()
    meteo["day"] = as_day(meteo["day"])
    meteo["region_code"] = meteo["region_code"].astype(str)
    movements = consommation_mouvements.copy()
    movements["day"] = as_day(movements["day"])
    movements["region_code"] = movements["region_code"].astype(str)
    movement_extra = [
        c
        for c in [*CALENDAR_COLUMNS, *MOVEMENT_COLUMNS]
        if c in movements.columns and c not in meteo.columns
    ]
    merged = meteo.merge(movements[[*KEY, *movement_extra]], on=KEY, how="left")

    frame = daily_grid(merged)
    first_region = frame.dropna(subset=["region"]).groupby("region_code")["region"].first()
    frame["region"] = frame["region_code"].map(first_region)

    # calendar fields are a function of the day: fill the grid's new days (and absent columns)
    fields = calendar_fields(frame["day"])
    for column in ("weekday", "is_weekend", "month", "day_of_year"):
        frame[column] = fields[column]
    for column in [*HOLIDAY_COLUMNS, *MOVEMENT_COLUMNS]:
        if column not in frame.columns:
            frame[column] = 0.0
    for column in [*BOOLEAN_COLUMNS, "weekday", "month", "day_of_year", "strike_count"]:
        frame[column] = pd.to_numeric(frame[column].astype(object), errors="coerce").fillna(0)
        frame[column] = frame[column].astype(float)
    frame["strike_rate_pct"] = pd.to_numeric(frame["strike_rate_pct"], errors="coerce").fillna(0.0)
    frame["target_mwh"] = pd.to_numeric(frame[target], errors="coerce").astype(float)
    if "is_complete" in frame.columns:
        frame["is_complete"] = frame["is_complete"].astype(object).fillna(False).astype(bool)
    else:
        frame["is_complete"] = frame["target_mwh"].notna()
    for column in DAY_WEATHER_COLUMNS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["region_code"] = frame["region_code"].astype(str)
    frame["region"] = frame["region"].astype(str)
    return frame.sort_values(KEY, ignore_index=True)


def add_history_features(frame: pd.DataFrame, history: HistorySpec | None = None) -> pd.DataFrame:
    """The consumption history of ``target_mwh`` (``history``, default
    ``domain.features.HistorySpec()``) and the recent weather of every row
    (``domain.features.add_consumption_history`` + ``add_weather_history``).

    ``frame`` must be a regular daily grid per region (see :func:`daily_frame`).
    """
    frame = frame.sort_values(KEY, ignore_index=True)
    frame = add_consumption_history(frame, "target_mwh", history)
    return add_weather_history(frame)


def forecasting_features(
    meteo_consommation: pd.DataFrame,
    consommation_mouvements: pd.DataFrame,
    target: str,
    history: HistorySpec | None = None,
) -> pd.DataFrame:
    """The what-if feature frame: :func:`daily_frame` + :func:`add_history_features`."""
    frame = daily_frame(meteo_consommation, consommation_mouvements, target)
    return add_history_features(frame, history)


def recency_weights(days: pd.Series, half_life_days: float | None) -> np.ndarray:
    """Sample weights halving every ``half_life_days`` back from the latest day (1 when None)."""
    if not half_life_days:
        return np.ones(len(days))
    age = (days.max() - days).dt.days.to_numpy(dtype=float)
    return np.power(0.5, age / float(half_life_days))


def model_input(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The model's input columns with stable dtypes (``region_code`` str, the rest float)."""
    data = {
        column: (
            frame[column].astype(str).astype(object)
            if column == "region_code"
            else frame[column].to_numpy(dtype=float)
        )
        for column in columns
    }
    # plain labels: an estimator reading the frame column by column (CatBoost) looks each one
    # up, and a label held by Arrow costs more to read
    return pd.DataFrame(data, index=frame.index, columns=pd.Index(columns, dtype=object))
