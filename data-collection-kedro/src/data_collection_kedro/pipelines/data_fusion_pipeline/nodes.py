"""Nodes of the data fusion pipeline: raw tables -> analysis-ready indices.

Each node wires a rule of the domain package (``domain.consumption``, ``weather``,
``calendar``, ``fuel``) to its datasets; the indices keep the columns of their contract
(``domain.contracts``). Every node also returns its ``fusion_data_quality`` rows (rows in/out
and unmatched keys of each check).

Incremental runs (``domain.fusion_window``): :func:`plan_fusion_window` compares the raw
store with the state the previous run recorded and plans, per family of indices, a full
rebuild, a window of days, or nothing; each node reads (``raw_<table>_rows``,
:class:`~data_collection_kedro.domain.fusion_window.RawRows`) and computes its family's days
from the raw rows of the window only (``read_from`` on; nothing for an unchanged family) and
returns the index rows of the days from ``since`` on as
:class:`~data_collection_kedro.domain.fusion_window.IndexRows`, which the index datasets
store (replace the whole index, or upsert those days). :func:`collect_data_quality` records
the new state once every index is stored.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pandas as pd

from data_collection_kedro.domain.calendar import consumption_movements_index
from data_collection_kedro.domain.consumption import (
    OPERATOR_COLUMNS,
    daily_regional_consumption,
    gas_operators_by_region,
    national_consumption_index,
)
from data_collection_kedro.domain.fuel import daily_fuel_price_index
from data_collection_kedro.domain.fusion_window import (
    FAMILIES,
    FORECAST,
    FUEL,
    FULL_RUN,
    OBSERVED,
    FamilyWindow,
    FusionWindow,
    IndexRows,
    RawRows,
    index_rows,
    plan_window,
    raw_rows,
)
from data_collection_kedro.domain.normalization import collect_quality, quality_frame
from data_collection_kedro.domain.weather import (
    daily_weather,
    weather_consumption_index,
    weather_forecast_indices,
)

logger = logging.getLogger(__name__)


def plan_fusion_window(
    raw_digest: pd.DataFrame,
    previous_state: pd.DataFrame,
    params: dict[str, Any],
    *ingestion_statuses: pd.DataFrame,
) -> FusionWindow:
    """The days this run recomputes, per family (``domain.fusion_window.plan_window``).
    ``ingestion_statuses`` (those of the sources of the raw tables) only order the node after
    the ETL nodes in a run of both pipelines."""
    window = plan_window(raw_digest, previous_state, params)
    for family, plan in window.families.items():
        logger.info("data fusion, %s indices: %s (%s)", family, plan.scope(), plan.reason)
    return window


Raw = RawRows | pd.DataFrame  # a node's raw table: read in its days, or a whole frame


def _plan(window: FusionWindow | None, family: str) -> FamilyWindow:
    """What this run does for ``family`` (a node called without a window: a full rebuild)."""
    return (window or FULL_RUN).of(family)


def _window_rows(window: FusionWindow | None, family: str, **raw: Raw) -> list[pd.DataFrame]:
    """The raw frames a family's node computes from: the rows of the window's days."""
    plan = _plan(window, family)
    first = plan.read_from if plan.mode == "window" else None
    return [raw_rows(rows, name).since(first) for name, rows in raw.items()]


def _whole(**raw: Raw) -> list[pd.DataFrame]:
    """Raw tables read whole (ranges, stations: they count on any day)."""
    return [raw_rows(rows, name).since(None) for name, rows in raw.items()]


def _unchanged(window: FusionWindow | None, family: str) -> bool:
    return _plan(window, family).mode == "unchanged"


def _rows(window: FusionWindow | None, family: str, index: pd.DataFrame) -> IndexRows:
    return index_rows(index, _plan(window, family))


def _nothing() -> IndexRows:
    return IndexRows(pd.DataFrame(), upsert_only=True)


def build_daily_consumption(
    raw_gas_load_curve: Raw,
    raw_consumption_regional: Raw,
    params: dict[str, Any],
    window: FusionWindow | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily gas (courbe de charge) and electricity (half-hourly) consumption per region."""
    if _unchanged(window, OBSERVED):
        return pd.DataFrame(), quality_frame([])
    gas, electricity = _window_rows(
        window,
        OBSERVED,
        raw_gas_load_curve=raw_gas_load_curve,
        raw_consumption_regional=raw_consumption_regional,
    )
    # a window of days is judged against the gas operators of the whole history
    operators = None
    if _plan(window, OBSERVED).mode == "window":
        operators = gas_operators_by_region(
            raw_rows(raw_gas_load_curve, "raw_gas_load_curve").distinct(OPERATOR_COLUMNS), params
        )
    daily, quality = daily_regional_consumption(gas, electricity, params, operators)
    return daily, quality_frame(quality)


def build_daily_weather(
    raw_weather_regional: Raw,
    raw_weather_historique: Raw,
    params: dict[str, Any],
    window: FusionWindow | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily weather per canonical region (old regions aggregated into new ones)."""
    if _unchanged(window, OBSERVED):
        return pd.DataFrame(), quality_frame([])
    regional, historique = _window_rows(
        window,
        OBSERVED,
        raw_weather_regional=raw_weather_regional,
        raw_weather_historique=raw_weather_historique,
    )
    weather, quality = daily_weather(regional, historique, params)
    return weather, quality_frame(quality)


def build_meteo_consommation(
    daily_consumption: pd.DataFrame,
    weather: pd.DataFrame,
    params: dict[str, Any],
    window: FusionWindow | None = None,
) -> tuple[IndexRows, pd.DataFrame]:
    """``meteo_consommation``: every consumption region-day with that day's weather."""
    if _unchanged(window, OBSERVED):
        return _nothing(), quality_frame([])
    index, quality = weather_consumption_index(daily_consumption, weather, params)
    return _rows(window, OBSERVED, index), quality_frame(quality)


def build_consommation_mouvements(
    daily_consumption: pd.DataFrame,
    raw_strikes: Raw,
    raw_public_holidays: Raw,
    raw_school_holidays: Raw,
    params: dict[str, Any],
    window: FusionWindow | None = None,
) -> tuple[IndexRows, pd.DataFrame]:
    """``consommation_mouvements``: consumption x strikes x holidays x calendar."""
    if _unchanged(window, OBSERVED):
        return _nothing(), quality_frame([])
    strikes, public_holidays, school_holidays = _whole(
        raw_strikes=raw_strikes,
        raw_public_holidays=raw_public_holidays,
        raw_school_holidays=raw_school_holidays,
    )
    index, quality = consumption_movements_index(
        daily_consumption, strikes, public_holidays, school_holidays, params
    )
    return _rows(window, OBSERVED, index), quality_frame(quality)


def build_prix_carburants_journalier(
    raw_fuel_stations: Raw,
    raw_fuel_prices: Raw,
    raw_fuel_shortages: Raw,
    params: dict[str, Any],
    window: FusionWindow | None = None,
) -> tuple[IndexRows, pd.DataFrame]:
    """``prix_carburants_journalier``: fuel price statistics per day x department x fuel
    (every station and shortage is read: a shortage counts on every day of its range)."""
    if _unchanged(window, FUEL):
        return _nothing(), quality_frame([])
    (prices,) = _window_rows(window, FUEL, raw_fuel_prices=raw_fuel_prices)
    stations, shortages = _whole(
        raw_fuel_stations=raw_fuel_stations, raw_fuel_shortages=raw_fuel_shortages
    )
    index, quality = daily_fuel_price_index(stations, prices, shortages, params)
    return _rows(window, FUEL, index), quality_frame(quality)


def build_previsions_meteo(
    raw_weather_forecast: Raw,
    params: dict[str, Any],
    window: FusionWindow | None = None,
) -> tuple[IndexRows, IndexRows, pd.DataFrame]:
    """``previsions_meteo`` (per region, target day and issue day) and
    ``previsions_meteo_nationales`` (the same forecasts as a national temperature)."""
    if _unchanged(window, FORECAST):
        return _nothing(), _nothing(), quality_frame([])
    (forecasts,) = _window_rows(window, FORECAST, raw_weather_forecast=raw_weather_forecast)
    regional, national, quality = weather_forecast_indices(forecasts, params)
    return (
        _rows(window, FORECAST, regional),
        _rows(window, FORECAST, national),
        quality_frame(quality),
    )


def build_consommation_nationale(
    raw_consumption_national: Raw,
    weather: pd.DataFrame,
    params: dict[str, Any],
    window: FusionWindow | None = None,
) -> tuple[IndexRows, pd.DataFrame]:
    """``consommation_nationale``: daily national electricity and gas with the national
    temperature of the observed regional weather."""
    if _unchanged(window, OBSERVED):
        return _nothing(), quality_frame([])
    (national,) = _window_rows(window, OBSERVED, raw_consumption_national=raw_consumption_national)
    index, quality = national_consumption_index(national, weather, params)
    return _rows(window, OBSERVED, index), quality_frame(quality)


_FAMILY_OF_INDEX = {index: family for family, indices in FAMILIES.items() for index in indices}


def collect_data_quality(
    window: FusionWindow, *reports: pd.DataFrame
) -> tuple[IndexRows, pd.DataFrame]:
    """``fusion_data_quality`` (one row per index and check, over the days the run computed:
    ``detail.scope`` says which) and the run's ``fusion_state``, saved after every index.

    A full run replaces the table; an incremental run upserts the checks of the families it
    recomputed (those of an unchanged family stay as their last run wrote them)."""
    present = [r for r in reports if len(r)]
    quality = collect_quality(*present) if present else quality_frame([])
    covered = {
        family: {
            "scope": window.of(family).scope(),
            "since": str(window.of(family).since) if window.of(family).since else None,
        }
        for family in FAMILIES
    }
    quality["detail"] = [
        json.dumps(
            {**json.loads(detail), **covered[_FAMILY_OF_INDEX.get(str(index), OBSERVED)]},
            ensure_ascii=False,
            sort_keys=True,
        )
        for index, detail in zip(quality["index"], quality["detail"], strict=True)
    ]
    quality = quality.astype({"detail": "string"})
    rows = IndexRows(quality) if window.is_full else IndexRows(quality, upsert_only=True)
    return rows, window.state
