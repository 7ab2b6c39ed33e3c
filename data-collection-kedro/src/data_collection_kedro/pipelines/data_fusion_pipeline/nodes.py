"""Nodes of the data fusion pipeline: raw tables -> analysis-ready indices.

Each node wires a rule of the domain package (``domain.consumption``, ``weather``,
``calendar``, ``fuel``) to its datasets; the indices keep the columns of their contract
(``domain.contracts``). Every node also returns its ``fusion_data_quality`` rows (rows in/out
and unmatched keys of each check).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from data_collection_kedro.domain.calendar import consumption_movements_index
from data_collection_kedro.domain.consumption import (
    daily_regional_consumption,
    national_consumption_index,
)
from data_collection_kedro.domain.fuel import daily_fuel_price_index
from data_collection_kedro.domain.normalization import collect_quality, quality_frame
from data_collection_kedro.domain.weather import (
    daily_weather,
    weather_consumption_index,
    weather_forecast_indices,
)


def build_daily_consumption(
    raw_gas_load_curve: pd.DataFrame,
    raw_consumption_regional: pd.DataFrame,
    params: dict[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily gas (courbe de charge) and electricity (half-hourly) consumption per region."""
    daily, quality = daily_regional_consumption(
        raw_gas_load_curve, raw_consumption_regional, params
    )
    return daily, quality_frame(quality)


def build_daily_weather(
    raw_weather_regional: pd.DataFrame,
    raw_weather_historique: pd.DataFrame,
    params: dict[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily weather per canonical region (old regions aggregated into new ones)."""
    weather, quality = daily_weather(raw_weather_regional, raw_weather_historique, params)
    return weather, quality_frame(quality)


def build_meteo_consommation(
    daily_consumption: pd.DataFrame, weather: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``meteo_consommation``: every consumption region-day with that day's weather."""
    index, quality = weather_consumption_index(daily_consumption, weather, params)
    return index, quality_frame(quality)


def build_consommation_mouvements(
    daily_consumption: pd.DataFrame,
    raw_strikes: pd.DataFrame,
    raw_public_holidays: pd.DataFrame,
    raw_school_holidays: pd.DataFrame,
    params: dict[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``consommation_mouvements``: consumption x strikes x holidays x calendar."""
    index, quality = consumption_movements_index(
        daily_consumption, raw_strikes, raw_public_holidays, raw_school_holidays, params
    )
    return index, quality_frame(quality)


def build_prix_carburants_journalier(
    raw_fuel_stations: pd.DataFrame,
    raw_fuel_prices: pd.DataFrame,
    raw_fuel_shortages: pd.DataFrame,
    params: dict[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``prix_carburants_journalier``: fuel price statistics per day x department x fuel."""
    index, quality = daily_fuel_price_index(
        raw_fuel_stations, raw_fuel_prices, raw_fuel_shortages, params
    )
    return index, quality_frame(quality)


def build_previsions_meteo(
    raw_weather_forecast: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``previsions_meteo`` (per region, target day and issue day) and
    ``previsions_meteo_nationales`` (the same forecasts as a national temperature)."""
    regional, national, quality = weather_forecast_indices(raw_weather_forecast, params)
    return regional, national, quality_frame(quality)


def build_consommation_nationale(
    raw_consumption_national: pd.DataFrame, weather: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``consommation_nationale``: daily national electricity and gas with the national
    temperature of the observed regional weather."""
    index, quality = national_consumption_index(raw_consumption_national, weather, params)
    return index, quality_frame(quality)


def collect_data_quality(*reports: pd.DataFrame) -> pd.DataFrame:
    """``fusion_data_quality``: every check of every index, one row per (index, check)."""
    return collect_quality(*reports)
