"""Nodes of the data fusion pipeline: raw tables -> analysis-ready indices.

Each node is a pure function on DataFrames; the rules live in the domain package
(``domain.normalization``, ``consumption``, ``weather``, ``calendar``, ``fuel``). Every node
also returns its ``fusion_data_quality`` rows (rows in/out and unmatched keys of each check).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from data_collection_kedro.domain.calendar import add_calendar_features, strike_days
from data_collection_kedro.domain.consumption import (
    SHARE_COLUMNS,
    aggregate_electricity_daily,
    aggregate_gas_daily,
    combine_daily_consumption,
)
from data_collection_kedro.domain.fuel import daily_fuel_prices
from data_collection_kedro.domain.normalization import (
    as_date,
    key_strings,
    quality_frame,
    quality_row,
)
from data_collection_kedro.domain.weather import WEATHER_COLUMNS, daily_weather

METEO_CONSOMMATION_COLUMNS = [
    "region_code",
    "day",
    "region",
    "gas_consumption_mwh",
    "electricity_consumption_mwh",
    "gas_operator_count",
    "gas_status",
    "gas_imputed",
    *WEATHER_COLUMNS[2:],
    "temp_interpolated",
    "heating_degree_days",
    *SHARE_COLUMNS,
    "is_complete",
]
TEMPERATURE_COLUMNS = ["temp_min_c", "temp_max_c", "temp_mean_c"]
CONSOMMATION_MOUVEMENTS_COLUMNS = [  # the first six come from the daily consumption
    "region_code",
    "day",
    "region",
    "gas_consumption_mwh",
    "electricity_consumption_mwh",
    "is_complete",
    "strike_active",
    "strike_count",
    "strike_rate_pct",
    "strike_reason",
    "is_public_holiday",
    "public_holiday_name",
    "is_school_holiday",
    "weekday",
    "is_weekend",
    "month",
    "day_of_year",
    "year",
]


def build_daily_consumption(
    raw_gas_load_curve: pd.DataFrame,
    raw_consumption_regional: pd.DataFrame,
    params: dict[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily gas (courbe de charge) and electricity (half-hourly) consumption per region."""
    gas, gas_quality = aggregate_gas_daily(raw_gas_load_curve, params)
    electricity, electricity_quality = aggregate_electricity_daily(raw_consumption_regional, params)
    daily, daily_quality = combine_daily_consumption(gas, electricity, params)
    return daily, quality_frame([*gas_quality, *electricity_quality, *daily_quality])


def build_daily_weather(
    raw_weather_regional: pd.DataFrame,
    raw_weather_historique: pd.DataFrame,
    params: dict[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily weather per canonical region (old regions aggregated into new ones)."""
    weather, quality = daily_weather(raw_weather_regional, raw_weather_historique, params)
    return weather, quality_frame(quality)


def _fill_short_gaps(values: pd.Series, max_gap: int) -> pd.Series:
    """Linear interpolation of the NaN runs of at most ``max_gap`` values between two values."""
    if max_gap <= 0 or not values.isna().any():
        return values
    missing = values.isna()
    run_length = missing.groupby((~missing).cumsum()).transform("sum")
    interpolated = values.interpolate(limit_area="inside")
    return values.where(~(missing & (run_length <= max_gap)), interpolated)


def build_meteo_consommation(
    daily_consumption: pd.DataFrame, weather: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``meteo_consommation``: every consumption region-day with that day's weather."""
    max_keys = int(params.get("max_detail_keys", 200))
    base_temp = float(params.get("heating_base_temperature_c", 17.0))
    merged = daily_consumption.merge(weather, on=["region_code", "day"], how="left", indicator=True)
    no_weather = merged[merged["_merge"] == "left_only"]
    no_temperature = merged[(merged["_merge"] == "both") & merged["temp_mean_c"].isna()]
    consumption_keys = pd.MultiIndex.from_frame(daily_consumption[["region_code", "day"]])
    weather_only = weather[
        ~pd.MultiIndex.from_frame(weather[["region_code", "day"]]).isin(consumption_keys)
    ]
    merged = merged.sort_values(["region_code", "day"]).reset_index(drop=True)
    max_gap = int(params.get("max_temperature_gap_days", 0))
    missing_temperature = merged["temp_mean_c"].isna()
    for column in TEMPERATURE_COLUMNS:
        merged[column] = pd.to_numeric(merged[column], errors="coerce").astype("float64")
        merged[column] = merged.groupby("region_code")[column].transform(
            lambda s: _fill_short_gaps(s, max_gap)
        )
    merged["temp_interpolated"] = missing_temperature & merged["temp_mean_c"].notna()
    merged["heating_degree_days"] = np.maximum(0.0, base_temp - merged["temp_mean_c"])
    index = merged[METEO_CONSOMMATION_COLUMNS].sort_values(["region_code", "day"])
    index["day"] = as_date(index["day"])
    quality = [
        quality_row(
            "meteo_consommation",
            "temperature_interpolated",
            len(merged),
            len(merged),
            key_strings(merged[merged["temp_interpolated"]], ["region_code", "day"]),
            max_keys,
            max_gap_days=max_gap,
            rule="temperatures missing on at most max_gap_days consecutive days between two "
            "known days: linear interpolation (temp_interpolated = true); longer gaps stay NaN",
        ),
        quality_row(
            "meteo_consommation",
            "consumption_without_weather",
            len(daily_consumption),
            len(index),
            key_strings(no_weather, ["region_code", "day"]),
            max_keys,
            rule="region-day with consumption but no weather row (weather columns are NaN)",
        ),
        quality_row(
            "meteo_consommation",
            "consumption_without_temperature",
            len(daily_consumption),
            len(index),
            key_strings(no_temperature, ["region_code", "day"]),
            max_keys,
        ),
        quality_row(
            "meteo_consommation",
            "weather_without_consumption",
            len(weather),
            len(weather) - len(weather_only),
            [],
            max_keys,
            rows=len(weather_only),
            rule="weather region-days outside the consumption data are not indexed",
        ),
    ]
    return index.reset_index(drop=True), quality_frame(quality)


def build_consommation_mouvements(
    daily_consumption: pd.DataFrame,
    raw_strikes: pd.DataFrame,
    raw_public_holidays: pd.DataFrame,
    raw_school_holidays: pd.DataFrame,
    params: dict[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``consommation_mouvements``: consumption x strikes x holidays x calendar."""
    max_keys = int(params.get("max_detail_keys", 200))
    strikes, quality = strike_days(raw_strikes, max_keys)
    base = daily_consumption[CONSOMMATION_MOUVEMENTS_COLUMNS[:6]]
    merged, calendar_quality = add_calendar_features(
        base, strikes, raw_public_holidays, raw_school_holidays, max_keys
    )
    quality.extend(calendar_quality)
    quality.append(
        quality_row("consommation_mouvements", "rows", len(base), len(merged), [], max_keys)
    )
    index = merged[CONSOMMATION_MOUVEMENTS_COLUMNS].sort_values(["region_code", "day"])
    index["day"] = as_date(index["day"])
    return index.reset_index(drop=True), quality_frame(quality)


def build_prix_carburants_journalier(
    raw_fuel_stations: pd.DataFrame,
    raw_fuel_prices: pd.DataFrame,
    raw_fuel_shortages: pd.DataFrame,
    params: dict[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``prix_carburants_journalier``: fuel price statistics per day x department x fuel."""
    daily, quality = daily_fuel_prices(
        raw_fuel_stations, raw_fuel_prices, raw_fuel_shortages, params
    )
    daily["day"] = as_date(daily["day"])
    return daily, quality_frame(quality)


def collect_data_quality(*reports: pd.DataFrame) -> pd.DataFrame:
    """``fusion_data_quality``: every check of every index, one row per (index, check)."""
    frame = pd.concat([r for r in reports if len(r)], ignore_index=True)
    duplicated = frame.duplicated(["index", "check"])
    if duplicated.any():
        raise ValueError(
            "fusion_data_quality: duplicated (index, check) keys "
            f"{frame.loc[duplicated, ['index', 'check']].values.tolist()}"
        )
    records = [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]
    return quality_frame(records).sort_values(["index", "check"]).reset_index(drop=True)
