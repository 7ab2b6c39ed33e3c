"""Feature rules: one definition each, for the fusion, training, evaluation, inference, the anomaly
features, the dashboard and its uploads.

- heating degree days: :data:`HEATING_BASE_TEMPERATURE_C`, :func:`heating_degree_days`,
  :func:`mean_temperature`;
- calendar fields of a day: :func:`calendar_fields`;
- holidays of days no index holds (forecast days, dashboard inputs, uploads), from the libraries
  the ETL reads offline: :func:`library_holidays`;
- a regular daily grid per region: :func:`daily_grid`;
- recent weather (lags, changes, exponential smoothing): :func:`add_weather_history`;
- consumption history (lags, past-only rolling means, trailing level), parameterized by the
  target column: :func:`add_consumption_history`, :func:`trailing_level`.

Functions are pure and vectorized over regions and days. A row's consumption features only see
the days before it; its weather features see its own day (a forecast, at prediction time) and
the days before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from typing import TypeVar, cast

import numpy as np
import pandas as pd

from data_collection_kedro.domain.contracts import TEMPERATURE_COLUMNS
from data_collection_kedro.domain.normalization import range_offsets
from data_collection_kedro.domain.regions import school_zone_of

# heating_degree_days = max(0, HEATING_BASE_TEMPERATURE_C - temp_mean_c)
HEATING_BASE_TEMPERATURE_C = 17.0
# Smoothing factor of ``temp_ewm_c`` / ``hdd_ewm`` (exponential mean, ``adjust=False``): the
# day weighs 1/2, the day before 1/4, ...
WEATHER_EWM_ALPHA = 0.5
KEY = ["region_code", "day"]
DAY_WEATHER_COLUMNS = (*TEMPERATURE_COLUMNS, "heating_degree_days")
HOLIDAY_COLUMNS = ("is_public_holiday", "is_school_holiday")
MOVEMENT_COLUMNS = ("strike_active", "strike_count", "strike_rate_pct")
CONSUMPTION_HISTORY_COLUMNS = (
    "lag_1_mwh",
    "lag_7_mwh",
    "lag_364_mwh",
    "rolling_mean_7_mwh",
    "rolling_mean_28_mwh",
    "level_mwh",
)
WEATHER_HISTORY_COLUMNS = (
    "temp_mean_c_lag_1",
    "temp_mean_c_lag_2",
    "heating_degree_days_lag_1",
    "temp_mean_change_c",
    "temp_change_week_c",
    "temp_ewm_c",
    "hdd_ewm",
)

Values = TypeVar("Values", float, np.ndarray, pd.Series)


# ------------------------------------------------------------------------------ weather
def heating_degree_days(temp_mean_c: Values, base_c: float = HEATING_BASE_TEMPERATURE_C) -> Values:
    """``max(0, base_c - temp_mean_c)``: the day's heating demand (a missing mean stays missing)."""
    return cast(Values, np.maximum(0.0, base_c - temp_mean_c))


def mean_temperature(temp_min_c: Values, temp_max_c: Values) -> Values:
    """The day's mean temperature when only its minimum and maximum are known."""
    return (temp_min_c + temp_max_c) / 2


def _smoothed(values: pd.Series, groups: pd.Series) -> pd.Series:
    return values.groupby(groups, sort=False).transform(
        lambda s: s.ewm(alpha=WEATHER_EWM_ALPHA, adjust=False, ignore_na=True).mean()
    )


def add_weather_history(frame: pd.DataFrame, by: str = "region_code") -> pd.DataFrame:
    """:data:`WEATHER_HISTORY_COLUMNS`: the days before's temperature and heating degree days,
    the changes over a day and a week, and the exponential smoothing up to the day itself
    (buildings react to the last days' weather).

    ``frame``: ``temp_mean_c`` and ``heating_degree_days`` on a regular daily grid per region
    (:func:`daily_grid`), sorted by region and day.
    """
    frame = frame.copy()
    by_region = frame.groupby(by, sort=False)
    frame["temp_mean_c_lag_1"] = by_region["temp_mean_c"].shift(1)
    frame["temp_mean_c_lag_2"] = by_region["temp_mean_c"].shift(2)
    frame["heating_degree_days_lag_1"] = by_region["heating_degree_days"].shift(1)
    frame["temp_mean_change_c"] = frame["temp_mean_c"] - frame["temp_mean_c_lag_1"]
    frame["temp_change_week_c"] = frame["temp_mean_c"] - by_region["temp_mean_c"].shift(7)
    frame["temp_ewm_c"] = _smoothed(frame["temp_mean_c"], frame[by])
    frame["hdd_ewm"] = _smoothed(frame["heating_degree_days"], frame[by])
    return frame


# ----------------------------------------------------------------------------- calendar
def as_day(values: pd.Series | Iterable[object]) -> pd.Series:
    """Calendar days as naive ``datetime64[ns]`` midnights (dates, timestamps or ISO text)."""
    days = pd.to_datetime(pd.Series(values) if not isinstance(values, pd.Series) else values)
    return days.dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")


def calendar_fields(days: pd.Series) -> pd.DataFrame:
    """``weekday`` (0 = Monday), ``is_weekend``, ``month``, ``day_of_year``, ``year`` of days."""
    weekday = days.dt.day_of_week.astype("int64")
    return pd.DataFrame(
        {
            "weekday": weekday,
            "is_weekend": weekday >= 5,
            "month": days.dt.month.astype("int64"),
            "day_of_year": days.dt.day_of_year.astype("int64"),
            "year": days.dt.year.astype("int64"),
        },
        index=days.index,
    )


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> dict[dt.date, str]:
    import holidays

    return dict(holidays.country_holidays("FR", years=year, language="fr"))


@lru_cache(maxsize=8)
def _school_holiday_days(zone: str) -> frozenset[dt.date]:
    from vacances_scolaires_france import SchoolHolidayDates

    key = f"vacances_zone_{zone.lower()}"
    return frozenset(day for day, info in SchoolHolidayDates().data.items() if info.get(key))


def library_holidays(keys: pd.DataFrame) -> pd.DataFrame:
    """``is_public_holiday``, ``public_holiday_name``, ``is_school_holiday`` of ``region_code, day``
    rows, from the ``holidays`` (France, métropole) and ``vacances-scolaires-france`` packages
    the ETL reads offline. A school holiday applies to the region's zone (A/B/C); Corse and the
    years the package does not publish count as no school holiday."""
    dates = as_day(keys["day"]).dt.date
    names: dict[dt.date, str] = {}
    for year in sorted({day.year for day in dates}):
        names.update(_public_holidays(year))
    public_name = dates.map(names).astype("string")
    zones = keys["region_code"].astype(str).map(school_zone_of)
    school = pd.Series(False, index=keys.index)
    for zone in zones.dropna().unique():
        if zone in {"A", "B", "C"}:
            in_zone = zones == zone
            school[in_zone] = dates[in_zone].isin(_school_holiday_days(zone))
    return pd.DataFrame(
        {
            "is_public_holiday": public_name.notna().to_numpy(),
            "public_holiday_name": public_name,
            "is_school_holiday": school.to_numpy(dtype=bool),
        },
        index=keys.index,
    )


# ---------------------------------------------------------------------------------- grid
def daily_grid(frame: pd.DataFrame, by: str = "region_code") -> pd.DataFrame:
    """``frame`` on a regular daily grid: one row per region and day from its first to its last
    day (the first row of a repeated region-day wins; added days have missing values).

    ``frame`` has ``by`` and ``day`` (``datetime64``) columns; rows come sorted by region and day.
    """
    frame = frame.drop_duplicates([by, "day"])
    bounds = frame.groupby(by, sort=True)["day"].agg(["min", "max"])
    lengths = ((bounds["max"] - bounds["min"]).dt.days + 1).to_numpy()
    positions, offsets = range_offsets(lengths)
    grid = pd.DataFrame(
        {
            by: bounds.index.to_numpy()[positions],
            "day": bounds["min"].to_numpy()[positions] + pd.to_timedelta(offsets, unit="D"),
        }
    )
    return grid.merge(frame, on=[by, "day"], how="left")


# ---------------------------------------------------------------------- consumption history
def _past_mean(past: pd.Series, groups: pd.Series, window: int, min_periods: int) -> pd.Series:
    return past.groupby(groups, sort=False).transform(
        lambda s: s.rolling(window, min_periods=min_periods).mean()
    )


def add_consumption_history(
    frame: pd.DataFrame,
    target: str = "target_mwh",
    level_window_days: int = 365,
    level_min_periods: int = 28,
    by: str = "region_code",
) -> pd.DataFrame:
    """:data:`CONSUMPTION_HISTORY_COLUMNS` of ``target``: the values 1, 7 and 364 days before,
    the means over the 7 and 28 days before (at least 5 / 20 values) and the trailing level
    (mean over the ``level_window_days`` days before, at least ``level_min_periods`` values).

    ``frame``: a regular daily grid per region (:func:`daily_grid`), sorted by region and day.
    """
    frame = frame.copy()
    by_region = frame.groupby(by, sort=False)
    past = by_region[target].shift(1)
    frame["lag_1_mwh"] = past
    frame["lag_7_mwh"] = by_region[target].shift(7)
    frame["lag_364_mwh"] = by_region[target].shift(364)
    frame["rolling_mean_7_mwh"] = _past_mean(past, frame[by], 7, 5)
    frame["rolling_mean_28_mwh"] = _past_mean(past, frame[by], 28, 20)
    frame["level_mwh"] = _past_mean(past, frame[by], level_window_days, level_min_periods)
    return frame


def trailing_level(
    history: pd.DataFrame,
    region_code: str,
    day: dt.date,
    target: str,
    window_days: int = 365,
    min_periods: int = 28,
) -> float:
    """``level_mwh`` of ``region_code`` on ``day`` (:func:`add_consumption_history` on the region's
    ``history``); for a day after the last observed one, the level of the day after it.

    Raises ``ValueError`` (French message, shown by the dashboard) when the region has no
    ``target`` value or fewer than ``min_periods`` in the window.
    """
    rows = history.loc[history["region_code"].astype(str) == region_code, ["day", target]]
    values = pd.DataFrame(
        {
            "region_code": region_code,
            "day": as_day(rows["day"]),
            target: pd.to_numeric(rows[target], errors="coerce"),
        }
    )
    observed = values.loc[values[target].notna(), "day"]
    if observed.empty:
        raise ValueError(f"aucune consommation ({target}) connue pour la région {region_code}")
    end = min(pd.Timestamp(day), observed.max() + pd.Timedelta(days=1))
    until_end = values[values["day"] < end]
    grid = daily_grid(
        pd.concat(
            [until_end, pd.DataFrame({"region_code": [region_code], "day": [end]})],
            ignore_index=True,
        ).sort_values("day", kind="stable")
    )
    level = add_consumption_history(grid, target, window_days, min_periods)["level_mwh"].iloc[-1]
    if pd.isna(level):
        known = int(
            until_end.loc[until_end["day"] >= end - pd.Timedelta(days=window_days)][target].count()
        )
        raise ValueError(
            f"historique insuffisant pour la région {region_code} avant le {day:%d/%m/%Y} : "
            f"{known} jour(s) de {target}, au moins {min_periods} nécessaires"
        )
    return float(level)
