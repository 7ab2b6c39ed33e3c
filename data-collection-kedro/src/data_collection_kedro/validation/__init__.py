"""Validation at the ingestion boundary: one schema per source, good rows + quarantine."""

from data_collection_kedro.validation.core import (
    QUARANTINE_COLUMNS,
    MissingColumnError,
    SourceColumn,
    SourceSchema,
    Validator,
    empty_quarantine,
    header_key,
    summarize_quarantine,
)
from data_collection_kedro.validation.sources import (
    parse_consumption_regional,
    parse_fuel_flux,
    parse_fuel_prices,
    parse_gas_load_curve,
    parse_holidays,
    parse_strikes,
    parse_weather_historique,
    parse_weather_regional,
)

__all__ = [
    "QUARANTINE_COLUMNS",
    "MissingColumnError",
    "SourceColumn",
    "SourceSchema",
    "Validator",
    "empty_quarantine",
    "header_key",
    "parse_consumption_regional",
    "parse_fuel_flux",
    "parse_fuel_prices",
    "parse_gas_load_curve",
    "parse_holidays",
    "parse_strikes",
    "parse_weather_historique",
    "parse_weather_regional",
    "summarize_quarantine",
]
