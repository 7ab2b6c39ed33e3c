"""``fuel_flux``: one flux frame (``sources.fuel_flux.read_fuel_flux_xml``) feeds three tables.

Each ``<pdv>`` gives a station row, each ``<prix>`` a price row and each ``<rupture>`` a
shortage row of the flat frame; the tables are validated one by one from their rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from data_collection_kedro.datasets.source_files import SOURCE_FILE, SOURCE_LINE
from data_collection_kedro.sources.registry import Source
from data_collection_kedro.validation.core import empty_quarantine
from data_collection_kedro.validation.tables import TableCheck, subset, validate_table


def shortage_kind(check: TableCheck) -> None:
    """``rupture_type`` in lower case without accent (``Définitive`` → ``definitive``)."""
    check.typed["kind"] = check.typed["kind"].str.lower().str.replace("é", "e", regex=False)


def _price_rows(frame: pd.DataFrame) -> pd.Series:
    """Rows holding a price; a price still current in a later snapshot (several files) repeats
    there with the same key and value: the same record, not a duplicate to quarantine."""
    missing = pd.Series(pd.NA, index=frame.index)
    has_price = frame.get("prix_nom", missing).notna() | frame.get("prix_valeur", missing).notna()
    if SOURCE_FILE in frame and frame.loc[has_price, SOURCE_FILE].nunique() > 1:
        prices = frame.loc[has_price]
        same = ["id", "prix_nom", "prix_maj", "prix_valeur"]
        first_file = prices.groupby(same, dropna=False)[SOURCE_FILE].transform("first")
        repeated = prices.duplicated(subset=same) & (prices[SOURCE_FILE] != first_file)
        has_price = has_price & ~repeated.reindex(frame.index, fill_value=False)
    return has_price


def parse(
    frame: pd.DataFrame, source: Source, params: Mapping[str, Any], now: datetime | None = None
) -> tuple[pd.DataFrame, ...]:
    """Stations, prices, shortages and the quarantine of a flux frame."""
    stations_table, prices_table, shortages_table = source.tables
    label = source.label
    last_of_station = (
        ~frame.duplicated(subset=["id"], keep="last")
        if "id" in frame
        else pd.Series(True, index=frame.index)
    )  # one row per station: its latest snapshot
    stations, q_stations = validate_table(
        subset(frame, last_of_station), stations_table, label, params, now
    )
    prices, q_prices = validate_table(
        subset(frame, _price_rows(frame), keep_malformed=True), prices_table, label, params, now
    )
    if "rupture_nom" in frame:
        has_shortage = frame["rupture_nom"].notna() | frame["rupture_debut"].notna()
        shortages, q_shortages = validate_table(
            subset(frame, has_shortage), shortages_table, label, params, now
        )
    else:  # a flux without shortages: an empty table of the right columns
        labels = [c.header_labels[0] for c in shortages_table.columns]
        empty = pd.DataFrame(columns=[*labels, SOURCE_FILE, SOURCE_LINE]).astype("str")
        shortages = validate_table(empty, shortages_table, label, params, now)[0]
        q_shortages = empty_quarantine()
    quarantine = pd.concat([q_stations, q_prices, q_shortages], ignore_index=True)
    return stations, prices, shortages, quarantine
