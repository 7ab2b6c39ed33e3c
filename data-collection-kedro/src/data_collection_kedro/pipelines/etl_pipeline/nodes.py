"""Ingestion nodes: one per source, source frame → (raw table rows, quarantine rows).

Nodes are pure: the source datasets read the files/APIs and the store datasets upsert the
outputs (and log inserted/updated counts per batch); a node logs what it validated and what
it quarantined.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd

from data_collection_kedro.validation import (
    parse_consumption_regional,
    parse_fuel_flux,
    parse_fuel_prices,
    parse_gas_load_curve,
    parse_holidays,
    parse_strikes,
    parse_weather_historique,
    parse_weather_regional,
    summarize_quarantine,
)

logger = logging.getLogger(__name__)


def _log(
    source: str, rows_in: int, outputs: Mapping[str, pd.DataFrame], quarantine: pd.DataFrame
) -> None:
    kept = ", ".join(f"{table}: {len(frame)} row(s)" for table, frame in outputs.items())
    logger.info(
        "%s: %d source row(s) → %s; quarantined %d (%s)",
        source,
        rows_in,
        kept,
        len(quarantine),
        summarize_quarantine(quarantine),
    )


def ingest_consumption_regional(
    source: pd.DataFrame, tolerances: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Half-hourly regional consumption → ``raw_consumption_regional``."""
    raw, quarantine = parse_consumption_regional(source, tolerances)
    _log("consumption_regional", len(source), {"raw_consumption_regional": raw}, quarantine)
    return raw, quarantine


def ingest_gas_load_curve(
    source: pd.DataFrame, tolerances: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily gas load curves per operator and region → ``raw_gas_load_curve``."""
    raw, quarantine = parse_gas_load_curve(source, tolerances)
    _log("gas_load_curve", len(source), {"raw_gas_load_curve": raw}, quarantine)
    return raw, quarantine


def ingest_weather_regional(
    source: pd.DataFrame, tolerances: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily regional temperatures → ``raw_weather_regional``."""
    raw, quarantine = parse_weather_regional(source, tolerances)
    _log("weather_regional", len(source), {"raw_weather_regional": raw}, quarantine)
    return raw, quarantine


def ingest_weather_historique(
    source: pd.DataFrame, tolerances: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """historique-meteo daily weather → ``raw_weather_historique``."""
    raw, quarantine = parse_weather_historique(source, tolerances)
    _log("weather_historique", len(source), {"raw_weather_historique": raw}, quarantine)
    return raw, quarantine


def ingest_fuel_prices(
    source: pd.DataFrame, tolerances: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Flat fuel-price history → ``raw_fuel_prices`` (station details come from the flux)."""
    raw, quarantine = parse_fuel_prices(source, tolerances)
    _log("fuel_prices", len(source), {"raw_fuel_prices": raw}, quarantine)
    return raw, quarantine


def ingest_fuel_flux(
    source: pd.DataFrame, tolerances: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Fuel flux snapshot → ``raw_fuel_stations``, ``raw_fuel_prices``, ``raw_fuel_shortages``."""
    stations, prices, shortages, quarantine = parse_fuel_flux(source, tolerances)
    outputs = {
        "raw_fuel_stations": stations,
        "raw_fuel_prices": prices,
        "raw_fuel_shortages": shortages,
    }
    _log("fuel_flux", len(source), outputs, quarantine)
    return stations, prices, shortages, quarantine


def ingest_strikes(
    source: pd.DataFrame, tolerances: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SNCF strikes → ``raw_strikes``."""
    raw, quarantine = parse_strikes(source, tolerances)
    _log("strikes", len(source), {"raw_strikes": raw}, quarantine)
    return raw, quarantine


def ingest_holidays(
    source: pd.DataFrame, tolerances: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Public and school holidays → ``raw_public_holidays``, ``raw_school_holidays``."""
    public, school, quarantine = parse_holidays(source, tolerances)
    outputs = {"raw_public_holidays": public, "raw_school_holidays": school}
    _log("holidays", len(source), outputs, quarantine)
    return public, school, quarantine
