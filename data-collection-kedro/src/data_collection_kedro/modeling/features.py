"""Daily regional feature frames built from the indices ``meteo_consommation`` and
``consommation_mouvements`` (docs/data-contracts.md §3).

Every lag and rolling statistic is computed per region on a regular daily grid and shifted
by at least one day, so a row only sees consumption strictly before its own day.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

KEY = ["region_code", "day"]
WEATHER_COLUMNS = [
    "temp_min_c",
    "temp_max_c",
    "temp_mean_c",
    "heating_degree_days",
]
CALENDAR_COLUMNS = [
    "weekday",
    "is_weekend",
    "month",
    "day_of_year",
    "is_public_holiday",
    "is_school_holiday",
]
MOVEMENT_COLUMNS = ["strike_active", "strike_count", "strike_rate_pct"]
BOOLEAN_COLUMNS = ["is_weekend", "is_public_holiday", "is_school_holiday", "strike_active"]
# Smoothing factor of ``temp_ewm_c`` / ``hdd_ewm`` (exponential mean, ``adjust=False``).
WEATHER_EWM_ALPHA = 0.5


def _as_day(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")


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
        meteo_consommation, [*KEY, "region", target, *WEATHER_COLUMNS], "meteo_consommation"
    )
    require_columns(consommation_mouvements, KEY, "consommation_mouvements")
    meteo = meteo_consommation.copy()
    meteo["day"] = _as_day(meteo["day"])
    meteo["region_code"] = meteo["region_code"].astype(str)
    movements = consommation_mouvements.copy()
    movements["day"] = _as_day(movements["day"])
    movements["region_code"] = movements["region_code"].astype(str)
    movement_extra = [
        c
        for c in [*CALENDAR_COLUMNS, *MOVEMENT_COLUMNS]
        if c in movements.columns and c not in meteo.columns
    ]
    merged = meteo.merge(movements[[*KEY, *movement_extra]], on=KEY, how="left")

    frames = []
    for region_code, group in merged.groupby("region_code", sort=True):
        group = group.drop_duplicates("day").set_index("day").sort_index()
        grid = pd.date_range(group.index.min(), group.index.max(), freq="D", name="day")
        group = group.reindex(grid)
        group["region_code"] = region_code
        group["region"] = group["region"].dropna().iloc[0]
        frames.append(group.reset_index())
    frame = pd.concat(frames, ignore_index=True)

    # calendar fields are a function of the day: fill the grid's new days (and absent columns)
    frame["weekday"] = frame["day"].dt.day_of_week
    frame["is_weekend"] = frame["weekday"] >= 5
    frame["month"] = frame["day"].dt.month
    frame["day_of_year"] = frame["day"].dt.day_of_year
    for column in ["is_public_holiday", "is_school_holiday", *MOVEMENT_COLUMNS]:
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
    for column in WEATHER_COLUMNS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["region_code"] = frame["region_code"].astype(str)
    frame["region"] = frame["region"].astype(str)
    return frame.sort_values(KEY, ignore_index=True)


def add_history_features(
    frame: pd.DataFrame,
    level_window_days: int = 365,
    level_min_periods: int = 28,
) -> pd.DataFrame:
    """Lags (1, 7, 364 days), past-only rolling means, the trailing level, recent weather.

    Consumption features only use days before the row's day; weather features use the day's
    own weather (a forecast at prediction time) and the days before.

    ``frame`` must be a regular daily grid per region (see :func:`daily_frame`).
    """
    frame = frame.sort_values(KEY, ignore_index=True).copy()
    by_region = frame.groupby("region_code", sort=False)
    past = by_region["target_mwh"].shift(1)
    frame["lag_1_mwh"] = past
    frame["lag_7_mwh"] = by_region["target_mwh"].shift(7)
    frame["lag_364_mwh"] = by_region["target_mwh"].shift(364)
    past_by_region = past.groupby(frame["region_code"], sort=False)
    frame["rolling_mean_7_mwh"] = past_by_region.transform(
        lambda s: s.rolling(7, min_periods=5).mean()
    )
    frame["rolling_mean_28_mwh"] = past_by_region.transform(
        lambda s: s.rolling(28, min_periods=20).mean()
    )
    frame["level_mwh"] = past_by_region.transform(
        lambda s: s.rolling(level_window_days, min_periods=level_min_periods).mean()
    )
    frame["temp_mean_c_lag_1"] = by_region["temp_mean_c"].shift(1)
    frame["temp_mean_c_lag_2"] = by_region["temp_mean_c"].shift(2)
    frame["heating_degree_days_lag_1"] = by_region["heating_degree_days"].shift(1)
    frame["temp_mean_change_c"] = frame["temp_mean_c"] - frame["temp_mean_c_lag_1"]
    frame["temp_change_week_c"] = frame["temp_mean_c"] - by_region["temp_mean_c"].shift(7)
    # buildings react to the last days' weather: exponentially smoothed up to the day itself
    frame["temp_ewm_c"] = by_region["temp_mean_c"].transform(
        lambda s: s.ewm(alpha=WEATHER_EWM_ALPHA, adjust=False, ignore_na=True).mean()
    )
    frame["hdd_ewm"] = by_region["heating_degree_days"].transform(
        lambda s: s.ewm(alpha=WEATHER_EWM_ALPHA, adjust=False, ignore_na=True).mean()
    )
    return frame


def forecasting_features(
    meteo_consommation: pd.DataFrame,
    consommation_mouvements: pd.DataFrame,
    target: str,
    level_window_days: int = 365,
    level_min_periods: int = 28,
) -> pd.DataFrame:
    """The forecasting feature frame: :func:`daily_frame` + :func:`add_history_features`."""
    frame = daily_frame(meteo_consommation, consommation_mouvements, target)
    return add_history_features(frame, level_window_days, level_min_periods)


def recency_weights(days: pd.Series, half_life_days: float | None) -> np.ndarray:
    """Sample weights halving every ``half_life_days`` back from the latest day (1 when None)."""
    if not half_life_days:
        return np.ones(len(days))
    age = (days.max() - days).dt.days.to_numpy(dtype=float)
    return np.power(0.5, age / float(half_life_days))


def model_input(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The model's input columns with stable dtypes (``region_code`` str, the rest float)."""
    data = frame[columns].copy()
    for column in columns:
        if column == "region_code":
            data[column] = data[column].astype(str).astype(object)
        else:
            data[column] = data[column].astype(float)
    return data
