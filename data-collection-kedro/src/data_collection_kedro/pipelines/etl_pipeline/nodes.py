"""Ingestion nodes: one per source, source frame → (raw table rows, quarantine rows).

Nodes are pure: the source datasets read the files/APIs and the store datasets upsert the
outputs (and log inserted/updated/unchanged counts per batch); a node logs how many rows it
validated into each raw table and what it quarantined, with the reasons.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
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

SingleTableIngest = Callable[[pd.DataFrame, dict[str, Any]], tuple[pd.DataFrame, pd.DataFrame]]


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


def _single_table(
    source: str,
    table: str,
    parse: Callable[[pd.DataFrame, Mapping[str, Any] | None], tuple[pd.DataFrame, pd.DataFrame]],
    summary: str,
) -> SingleTableIngest:
    """The ingestion node of a source feeding one raw table."""

    def ingest(
        frame: pd.DataFrame, tolerances: dict[str, Any]
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        raw, quarantine = parse(frame, tolerances)
        _log(source, len(frame), {table: raw}, quarantine)
        return raw, quarantine

    ingest.__name__ = ingest.__qualname__ = f"ingest_{source}"
    ingest.__doc__ = f"{summary} → ``{table}`` (+ quarantine rows)."
    return ingest


ingest_consumption_regional = _single_table(
    "consumption_regional",
    "raw_consumption_regional",
    parse_consumption_regional,
    "Half-hourly regional consumption",
)
ingest_gas_load_curve = _single_table(
    "gas_load_curve",
    "raw_gas_load_curve",
    parse_gas_load_curve,
    "Daily gas load curves per operator and region",
)
ingest_weather_regional = _single_table(
    "weather_regional", "raw_weather_regional", parse_weather_regional, "Daily temperatures"
)
ingest_weather_historique = _single_table(
    "weather_historique",
    "raw_weather_historique",
    parse_weather_historique,
    "historique-meteo daily weather",
)
ingest_fuel_prices = _single_table(
    "fuel_prices",
    "raw_fuel_prices",
    parse_fuel_prices,
    "Flat fuel-price history (station details come from the flux)",
)
ingest_strikes = _single_table("strikes", "raw_strikes", parse_strikes, "SNCF strikes")


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


def ingest_holidays(
    source: pd.DataFrame, tolerances: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Public and school holidays → ``raw_public_holidays``, ``raw_school_holidays``."""
    public, school, quarantine = parse_holidays(source, tolerances)
    outputs = {"raw_public_holidays": public, "raw_school_holidays": school}
    _log("holidays", len(source), outputs, quarantine)
    return public, school, quarantine
